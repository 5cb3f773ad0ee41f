"""The window's adapter over analysis.cells (no CNN needed: physics-only analysis), and the session-file
process (message coding, a killed process)."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from analysis import physics
from analysis.session import read_session
from analysis.session_cells import fill_unfitted_pixels
from app.core.analysis_seams import default_seams
from app.core.cell_analysis import CellAnalysis
from app.core.file_messages import PipeConnection, receive, send
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample
from tests.gui_helpers import open_window, run_to_end, sweep_values

PIXEL_M = 1.3e-6
CELL = physics.LabelledCell(32 * PIXEL_M, 32 * PIXEL_M, 13e-6, 12e-6, 5e-15, n_clusters=60, cluster_seed=4)


def test_nan_pixels_are_filled_from_their_neighbours():
    y, x = np.mgrid[0:20, 0:30]
    plane = 0.5 * x + 0.25 * y
    holes = plane.copy()
    holes[5, 7] = holes[10:13, 20:23] = np.nan
    filled, n_filled = fill_unfitted_pixels(holes)
    assert n_filled == 1 + 9
    assert np.all(np.isfinite(filled)) and np.array_equal(filled[np.isfinite(holes)], plane[np.isfinite(holes)])
    # the median of a point-symmetric neighbourhood of a plane is the plane's value there (the 3 x 3 hole fills
    # from its rim inwards, symmetrically, so its centre too)
    assert filled[5, 7] == pytest.approx(plane[5, 7], abs=1e-12)
    assert filled[11, 21] == pytest.approx(plane[11, 21], abs=1e-12)


@pytest.mark.slow
def test_a_click_on_a_lobe_analyses_the_dipole_nearby(qtbot, tmp_path):
    vm = VirtualMicroscope(VirtualSample(n_rows=64, n_cols=64, pixel_size_m=PIXEL_M, cells=(CELL,)), seed=3)
    seams = default_seams()
    seams.cell_analyzer = CellAnalysis(model_path=tmp_path / "no_model.onnx")  # physics only
    window, _ = open_window(qtbot, tmp_path, vm=vm, seams=seams, values=sweep_values(vm, points=21, pairs=20))
    window.start_sweep()
    run_to_end(qtbot, window)
    residual = window.controller.field_maps().residual_t
    row, col = np.unravel_index(np.nanargmin(residual), residual.shape)  # the negative lobe
    view = window.field_view.view
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.viewport_pos_of_pixel(int(row), int(col)))
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 1, timeout=30000)
    cell = window.cell_panel.model.cell(0)
    # 21 x 20 pairs: ~1 uT noise against a 14 uT peak; a point dipole fitted to a 12 um cell of clusters reads
    # it somewhat closer and lighter (about -7 % in z, -14 % in mass here), hence the tolerances
    assert np.hypot(cell.row_px - 32, cell.col_px - 32) < 1.0
    assert cell.z_m == pytest.approx(CELL.z_m, rel=0.15)
    assert cell.iron_mass_g == pytest.approx(CELL.iron_mass_kg * 1e3, rel=0.25)
    assert "NO_CNN" in cell.flag_names and cell.model_sha256 == ""
    assert "physics refinement only" in window.cell_panel.status.text() or window.cell_panel.model.rowCount() == 1


def test_messages_carry_arrays_text_and_nesting_without_pickle(tmp_path):
    import os

    r, w = os.pipe()
    with open(w, "wb") as writer, open(r, "rb") as reader:
        message = {"a": np.arange(6, dtype=np.uint32).reshape(2, 3), "nested": [{"x": np.float32(1.5)}, "text"],
                   "labels": np.array(["one", "two"], dtype=object), "nan": float("nan"), "none": None}
        send(PipeConnection(None, writer), message)
        got = receive(PipeConnection(reader, None))
    assert got["a"].dtype == np.uint32 and np.array_equal(got["a"], message["a"])
    assert got["nested"] == [{"x": 1.5}, "text"] and list(got["labels"]) == ["one", "two"]
    assert np.isnan(got["nan"]) and got["none"] is None


def test_a_killed_file_process_fails_the_sweep_safely_and_keeps_the_steps(qtbot, tmp_path):
    # a camera reading out for 3 ms per frame, like a real one, so that the sweep is still running when killed
    window, vm = open_window(qtbot, tmp_path, seams=default_seams(), config={"camera": {"readout_s": 0.003}})
    window.sweep_panel.set_values({**window.sweep_panel.values(), **sweep_values(vm, points=21, pairs=10)})
    window.start_sweep()
    path = window.session_actions.live_path
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done >= 3, timeout=20000)
    window.seams.sessions.files._process.kill()
    qtbot.waitUntil(lambda: window.errors.last_dialog is not None, timeout=20000)
    assert "session-file process ended" in window.errors.last_dialog.text()
    assert "keeps every step" in window.errors.last_dialog.informativeText()
    assert not vm.state.rf_on and not vm.state.shutter_open
    session = read_session(path)  # a killed writer leaves status "running" and every step written before
    assert session.n_steps_completed >= 3
    window.errors.last_dialog.done(0)
