"""File > Import… and File > Export… driven through the menus, the dialogs filled programmatically: an imported
cube and an imported field map open in review mode; the field map goes out as float32 TIFF with its pixel size
and the session's values; a view's figure goes out as PNG at the chosen width and as SVG of the plot alone."""

import numpy as np
import pytest
import tifffile
from PyQt6.QtGui import QImage

from analysis.session import read_session
from tests.analysis.exchange_files import FREQ_HZ, write_sources
from tests.gui_helpers import open_window


def _through_menu(qtbot, window, action, values):
    action.trigger()
    dialog = window.data_actions.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_values(values)
    dialog.accept()
    qtbot.waitUntil(lambda: window.data_actions.pending == 0, timeout=20000)
    return dialog


def _import(qtbot, window, values):
    previous = window.review
    _through_menu(qtbot, window, window.actions_.import_data, values)
    qtbot.waitUntil(lambda: window.review is not None and window.review is not previous, timeout=20000)
    window.refresh_all()
    return window.review


def test_import_and_export_through_the_file_menu(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path)
    sources = write_sources(tmp_path)
    # an ODMR cube from a MATLAB v5 file: frequency units inferred, the rule shown
    review = _import(qtbot, window, {"source": sources["mat5"], "out": tmp_path / "cube.h5", "kind": "cube",
                                     "cube_var": "M", "freq_var": "Ftot", "freq_units": "infer",
                                     "pixel_size_um": "1.5"})
    assert review.path == str(tmp_path / "cube.h5")
    assert any("inferred" in line for line in window.data_actions.last_report.messages)
    assert "inferred" in window.info_box.text()
    np.testing.assert_allclose(review.freq_hz, FREQ_HZ)
    assert review.cube.shape == (FREQ_HZ.size, 12, 14) and review.pixel_size_m == pytest.approx(1.5e-6)
    # a field map in gauss (QDMlab's B111) with a first-order background removed: review shows the map
    rows, cols = np.mgrid[0:30, 0:40]
    gauss = 0.5 + 0.01 * cols + 0.3 * np.exp(-((rows - 12) ** 2 + (cols - 20) ** 2) / 8.0)
    np.save(tmp_path / "b111.npy", gauss)
    review = _import(qtbot, window, {"source": tmp_path / "b111.npy", "out": tmp_path / "map.h5",
                                     "kind": "field map", "map_units": "gauss", "background_order": 1,
                                     "pixel_size_um": "4.7"})
    stored = read_session(tmp_path / "map.h5").field_map["b_nv_residual_t"]
    np.testing.assert_allclose(window.field_view.current_image(), stored * 1e6)  # shown in uT
    assert "without a fit" in window.field_view.info.text()
    # the field map as float32 TIFF: ImageJ pixel size, the session's values to float32 rounding
    _through_menu(qtbot, window, window.actions_.export_data, {"what": "field-map", "fmt": "tiff",
                                                               "path": tmp_path / "field.tif"})
    assert window.data_actions.last_export == [str(tmp_path / "field.tif")]
    with tifffile.TiffFile(tmp_path / "field.tif") as tif:
        array = tif.asarray()
        x_res = tif.pages[0].tags["XResolution"].value
        assert tif.imagej_metadata["unit"] == "um"
    assert array.dtype == np.float32 and x_res[1] / x_res[0] == pytest.approx(4.7)
    np.testing.assert_allclose(array, stored, rtol=2 ** -23, atol=0)
    # figures: the plot alone, redrawn at the chosen width
    _through_menu(qtbot, window, window.actions_.export_data, {"what": "field map", "fmt": "png", "width_px": 1234,
                                                               "path": tmp_path / "field_png"})
    (png,) = window.data_actions.last_export
    assert png.endswith(".png") and QImage(png).width() == 1234
    _through_menu(qtbot, window, window.actions_.export_data, {"what": "field map", "fmt": "svg",
                                                               "path": tmp_path / "field.svg"})
    svg = (tmp_path / "field.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<image" in svg  # the map, as an image
    assert "background (µT)" in svg and "µm</text>" in svg  # the colour bar's label, the scale bar
    assert "Show:" not in svg and "without a fit" not in svg and "Field map —" not in svg  # not the widget
    for view in ("spin contrast", "camera", "spectrum"):  # every view the dialog offers draws
        for fmt in ("png", "svg"):
            _through_menu(qtbot, window, window.actions_.export_data, {"what": view, "fmt": fmt, "width_px": 800,
                                                                       "path": tmp_path / f"{view}.{fmt}"})
            assert (tmp_path / f"{view}.{fmt}").stat().st_size > 1000, (view, fmt)
        assert QImage(str(tmp_path / f"{view}.png")).width() == 800
    # a map-only session has no fit maps: one clear error, no file
    errors = window.errors.count
    _through_menu(qtbot, window, window.actions_.export_data, {"what": "fit-maps", "fmt": "mat",
                                                               "path": tmp_path / "fit.mat"})
    assert window.errors.count == errors + 1 and "nvscope fit" in window.errors.last_dialog.text()
    assert not (tmp_path / "fit.mat").exists()


def test_import_errors_are_reported_not_raised(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path)
    np.save(tmp_path / "b111.npy", np.ones((8, 9)))
    errors = window.errors.count
    _through_menu(qtbot, window, window.actions_.import_data, {"source": tmp_path / "b111.npy", "kind": "field map",
                                                               "out": tmp_path / "map.h5", "map_units": "gauss"})
    assert window.errors.count == errors + 1 and "pixel" in window.errors.last_dialog.text()
    _through_menu(qtbot, window, window.actions_.import_data, {"source": tmp_path / "b111.npy", "kind": "field map",
                                                               "out": tmp_path / "map.h5", "pixel_size_um": "x"})
    assert window.errors.count == errors + 2 and "'x' is not a number" in window.errors.last_dialog.text()
    assert window.review is None and not (tmp_path / "map.h5").exists()
