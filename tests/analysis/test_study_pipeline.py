"""The study's per-session pipeline: fit and cell analysis run only where a session lacks them."""

import dataclasses
import sys
import types

import numpy as np
import pytest

from analysis.session import read_session
from analysis.study import analyse_session, load_study, needed_stages, needed_stages_of_file
from tests.study_fakes import tiny_study


@dataclasses.dataclass
class _FakeCell:
    row_px: float
    col_px: float
    z_m: float
    diameter_m: float
    iron_mass_g: float
    normalised_field_t: float
    flag: int = 0
    model_sha256: str = ""


def test_missing_stages_run_once_and_write_field_map_and_cells(tmp_path, monkeypatch):
    calls = []

    def fake_analyze(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, **kw):
        assert np.all(np.isfinite(b_nv_map_t)) and kw["model"] is False
        calls.append((np.shape(b_nv_map_t), pixel_size_m, noise_t))
        return [_FakeCell(10.0, 20.0, 14e-6, 12e-6, 1.0e-12, 1.5e-6), _FakeCell(30.0, 40.0, 16e-6, 11e-6, 2e-12, 3e-6)]

    class NoModel(ValueError):
        pass

    def no_cnn():
        raise NoModel("no CNN file in this test")

    fake = types.SimpleNamespace(analyze_field_map=fake_analyze, CellCNN=no_cnn, CellModelError=NoModel)
    monkeypatch.setitem(sys.modules, "analysis.cells", fake)
    (path, *_) = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1), points=10)
    assert needed_stages(read_session(path)) == ["fit", "cells"]
    timings = analyse_session(path)
    assert list(timings) == ["fit", "cells"]
    session = read_session(path)
    assert session.field_map is not None and session.field_map["b_nv_residual_t"].shape == (64, 64)
    assert len(session.cells) == 2 and np.allclose(session.cells.columns["z_m"], [14e-6, 16e-6])
    assert calls[0][0] == (64, 64) and calls[0][1] == pytest.approx(1.3e-6) and calls[0][2] is None
    assert needed_stages(session) == [] and needed_stages_of_file(path) == []
    assert analyse_session(path) == {}  # nothing left to do
    (cells,) = load_study([path])
    assert cells.n_cells == 2


def test_cells_of_an_unfitted_session_are_refused_with_what_to_do(tmp_path):
    from analysis.session_cells import analyse_session_cells

    (path, *_) = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1), points=10)
    with pytest.raises(ValueError, match="no background-subtracted field map; fit it first"):
        analyse_session_cells(path)
    assert read_session(path).cells is None  # nothing written


def test_end_to_end_on_a_small_simulated_session(tmp_path):
    """A 128 x 128 session with 4 cells, fitted and analysed by the real cell pipeline: the cells are found and
    their normalised fields are near the truth (the map noise makes single-cell errors of tens of percent)."""
    from app.core.study_simulation import default_samples, simulate_study

    samples = default_samples(seed=1, concentrations=[500.0], cells=[4], mean_z_um=[10.0])
    (path,) = simulate_study(str(tmp_path), samples, size=(128, 128), pairs=100, n_points=41)
    analyse_session(path)
    (cells,) = load_study([path])
    truth = read_session(path).truth["cells"]
    assert cells.n_cells >= 3
    true_mean = np.mean([c["iron_mass_kg"] for c in truth]) * 1e3
    assert np.mean(cells.values["iron_mass_g"]) == pytest.approx(true_mean, rel=0.3)


def test_unfitted_pixels_are_filled_from_their_neighbours():
    from analysis.session_cells import fill_unfitted_pixels

    m = np.arange(25, dtype=float).reshape(5, 5)
    m[2, 2] = np.nan
    m[0, 0] = np.nan
    filled, n = fill_unfitted_pixels(m)
    assert n == 2 and np.all(np.isfinite(filled))
    assert filled[2, 2] == pytest.approx(12.0)  # median of 6, 7, 8, 11, 13, 16, 17, 18
    assert filled[0, 0] == pytest.approx(5.0)  # median of 1, 5, 6


def test_cell_records_keep_scalars_flag_names_and_model_hash():
    from analysis.session_cells import cell_records

    @dataclasses.dataclass
    class Result:
        z_m: float
        flag: int
        flag_names: tuple
        measured_t: np.ndarray
        cnn: dict
        model_identity: dict

    (row,) = cell_records([Result(1e-5, 40, ("OVERLAP", "NO_CNN"), np.zeros((32, 32)), {"z_m": 1.0},
                                   {"sha256": "ab" * 32, "name": "cnn"})])
    assert row == {"z_m": 1e-5, "flag": 40, "flag_names": "OVERLAP,NO_CNN", "model_sha256": "ab" * 32, "label": ""}
