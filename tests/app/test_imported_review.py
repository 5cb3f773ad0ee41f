"""Review mode on an imported field map (no ODMR fit in the file), and the one cell CSV writer: the GUI's CSV
and ``nvscope export --what cells`` write the same file."""

import csv

import numpy as np
import pytest

from analysis.exchange import export_cells, import_field_map
from analysis.session import read_session, write_cells
from app.core.cells import CSV_COLUMNS, rows_of_table, write_csv
from app.core.review_source import ReviewSource

CELLS = [{"row_px": 3.5, "col_px": 7.0, "z_m": 9.5e-6, "z_m_err": 1e-7, "iron_mass_g": 1.2e-12, "flag": 0,
          "flag_names": "", "label": "a, b", "model_sha256": "", "extra_t": 2.5e-6},
         {"row_px": 20.0, "col_px": 31.25, "z_m": float("nan"), "z_m_err": float("nan"), "iron_mass_g": 3e-13,
          "flag": 2, "flag_names": "edge", "label": "", "model_sha256": "", "extra_t": float("nan")}]


def imported_map(folder):
    """A 30 x 40 map in gauss (a tilt plus a bump) imported with a first-order background, and two cells."""
    rows, cols = np.mgrid[0:30, 0:40]
    gauss = 0.5 + 0.01 * cols - 0.02 * rows + 0.3 * np.exp(-((rows - 12) ** 2 + (cols - 20) ** 2) / 8.0)
    np.save(folder / "b111.npy", gauss)
    report = import_field_map(folder / "b111.npy", folder / "map.h5", units="gauss", pixel_size_um=4.7,
                              background_order=1)
    write_cells(report.path, CELLS)
    return report.path, gauss * 1e-4


def test_review_shows_an_imported_map_and_its_cells(tmp_path):
    path, b_t = imported_map(tmp_path)
    source = ReviewSource(read_session(path))
    maps = source.field_maps()
    assert maps is not None  # the file has no /analysis/fit
    np.testing.assert_array_equal(maps.b_nv_t, b_t)
    stored = read_session(path).field_map["b_nv_residual_t"]
    np.testing.assert_array_equal(maps.residual_t, stored)
    # the first-order background takes the tilt: what is left is the bump (0.3 G = 30 uT) near (12, 20)
    assert np.unravel_index(np.argmax(maps.residual_t), b_t.shape) == (12, 20)
    assert np.all(np.isnan(maps.quality)) and maps.n_steps_used == 0
    assert source.pixel_size_m == pytest.approx(4.7e-6)
    assert [(c.row_px, c.col_px, c.label) for c in source.cells] == [(3.5, 7.0, "a, b"), (20.0, 31.25, "")]
    assert source.fit_curve(12, 20) is None
    assert source.snapshot().field is maps


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_gui_csv_and_export_cells_are_one_writer(tmp_path):
    path, _ = imported_map(tmp_path)
    (exported,) = export_cells(path, tmp_path / "export.csv")
    rows = rows_of_table(read_session(path).cells)
    write_csv(tmp_path / "gui.csv", rows)
    gui, cli = _read(tmp_path / "gui.csv"), _read(exported)
    assert gui[0] == cli[0] and set(gui[0]) >= {"z_m", "z_m_err", "iron_mass_g", "flag_names", "extra_t", "label"}
    assert gui == cli  # same names (the session file's), same values, NaN empty
    table = {name: [r[i] for r in gui[1:]] for i, name in enumerate(gui[0])}
    assert table["z_m"] == [repr(9.5e-6), ""] and table["label"] == ["a, b", ""]
    assert table["flag"] == ["0", "2"] and table["flag_names"] == ["", "edge"]
    write_csv(tmp_path / "empty.csv", [])
    assert _read(tmp_path / "empty.csv") == [list(CSV_COLUMNS)]
