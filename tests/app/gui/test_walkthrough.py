"""The README's walk-through of the app ("The app", steps 1-6), done as a user would on the virtual microscope
(the instrument layer's mocks, a small sweep), checking what the user sees after each step: labels, progress
text, units, which buttons are enabled, and what the status bar says.

The sample is the e2e test's (one strong isolated cell, 64 x 64 px), the sweep 21 steps x 20 pairs (seconds).
Needs the trained cell CNN (models/nvscope_cell_cnn.onnx); skipped without it."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from analysis import physics
from analysis.cells import default_model_path
from app.core.analysis_seams import default_seams
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample
from tests.gui_helpers import open_window, run_to_end, sweep_values

pytestmark = pytest.mark.skipif(not default_model_path().is_file(),
                                reason=f"the trained cell CNN {default_model_path()} is not in this checkout")
N_PX, PIXEL_M = 64, 1.3e-6
CELL = physics.LabelledCell(32 * PIXEL_M, 32 * PIXEL_M, 13e-6, 12e-6, 5e-15, n_clusters=60, cluster_seed=4)


def _status(window):
    return window.statusBar().currentMessage()


@pytest.mark.slow
def test_the_readme_walk_through_step_by_step(qtbot, tmp_path):
    vm = VirtualMicroscope(VirtualSample(n_rows=N_PX, n_cols=N_PX, pixel_size_m=PIXEL_M, cells=(CELL,)), seed=3)
    good = sweep_values(vm, points=21, pairs=20)

    # 1. Connect: on the virtual microscope the three instruments connect by themselves, lights green
    window, _ = open_window(qtbot, tmp_path, vm=vm, seams=default_seams(), values=good)
    assert "virtual microscope" in window.windowTitle()
    for name in ("camera", "rf", "shutter"):
        assert window.instruments.modes[name].text() == "mock"
        assert window.instruments.buttons[name].text() == "Disconnect"
        assert "1e9e3e" in window.instruments.lights[name].styleSheet()  # green
        assert window.instruments.identities[name].text() not in ("", "not connected")
    run = window.run_panel
    assert run.progress.text() == "no sweep yet" and run.status.text() == "idle"  # not "0 / 1 steps"
    assert not run.stop_button.isEnabled() and not run.pause_button.isEnabled()
    assert window.cell_panel.triptych.title.text().startswith("Cell snippet — click a dipole")
    assert window.spectrum_view.plot.getAxis("bottom").labelText == "RF frequency (MHz)"
    lo, hi = window.spectrum_view.plot.viewRange()[0]
    assert 2000 < lo < hi < 2100  # MHz, not an empty 0..1 Hz axis

    # 2. Set the sweep: a field that cannot be used says why, and Start stays disabled until all is well
    panel = window.sweep_panel
    panel.set_values({**panel.values(), "pairs": "-5"})
    assert not run.start_button.isEnabled()
    assert "Pairs per step: -5 is below the minimum of 1" in window.actions_.start.toolTip()
    panel.set_values({**panel.values(), **good})
    assert run.start_button.isEnabled() and panel.form.valid
    assert "21 steps x 1 sweep(s)" in panel.summary.text()
    window.session_panel.name.setText("liver A")  # the Session tab names the sample (the study groups by it)
    window.session_panel.concentration.setText("100")

    # 3. Start and watch
    run.start_button.click()
    assert _status(window) == "sweep running"
    assert not run.start_button.isEnabled() and run.stop_button.isEnabled() and run.pause_button.isEnabled()
    assert not window.instruments.buttons["rf"].isEnabled()  # nobody disconnects under a running sweep
    path = window.session_actions.live_path
    assert window.session_panel.info.toPlainText() == f"acquiring into {path}"
    run_to_end(qtbot, window)
    qtbot.waitUntil(lambda: window.session_actions.writes_done >= 2 and not window.session_actions.busy,
                    timeout=30000)
    window.refresh_all()
    assert run.progress.text() == "21 / 21 steps" and run.status.text() == "finished"
    assert run.start_button.isEnabled() and not run.stop_button.isEnabled()
    assert "acquiring into" not in window.session_panel.info.toPlainText()  # the sweep is over
    assert "finished sweep: 21 of 21 steps" in window.session_panel.info.toPlainText()
    assert "MHz (step" in window.contrast_view.title.text()
    freq_hz, values = window.spectrum_view.measured()
    assert len(freq_hz) == 21 and np.all(np.isfinite(values))
    data_mhz = window.spectrum_view.data.getData()[0]
    np.testing.assert_allclose(data_mhz, freq_hz / 1e6)  # drawn in MHz, the form's unit

    # 4. Click a dipole: the cell is analysed and joins the table, its snippets above it
    residual = window.controller.field_maps().residual_t
    near = residual[16:48, 16:48]
    row, col = (int(v) + 16 for v in np.unravel_index(np.nanargmax(near), near.shape))
    view = window.field_view.view
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport_pos_of_pixel(row, col))
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 1 or window.cells.last_error is not None,
                    timeout=60000)
    assert window.cells.last_error is None
    assert window.cell_panel.triptych.shown("reconstructed").shape == (32, 32)
    model = window.cell_panel.model
    d_text = model.data(model.index(0, 3))
    assert d_text.count("±") == 1 and "e-0" not in d_text  # µm, formatted
    assert "prior" in model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole)
    table = window.cell_panel.table
    for column in range(model.columnCount() - 1):  # every value whole, none cut to "11.4 ±…"
        text = model.data(model.index(0, column))
        assert table.columnWidth(column) >= table.fontMetrics().horizontalAdvance(text), (column, text)
    qtbot.waitUntil(lambda: not window.session_actions.busy and not window.session_actions._cells_dirty
                    and "cell table" in _status(window), timeout=20000)
    assert _status(window) == f"the cell table (1 cell) saved in {path.split('/')[-1]}"

    # 5. Save / open: the saved session in review mode, no instrument used, the table as it was
    window.open_session(path)
    assert _status(window).startswith("reading ")
    qtbot.waitUntil(lambda: window.review is not None, timeout=20000)
    assert _status(window).startswith(f"review mode: {path} (finished, 21/21 steps")
    assert window.instruments.review_note.isVisible()
    assert not run.start_button.isEnabled() and window.actions_.live.isEnabled()
    assert window.cell_panel.model.rowCount() == 1
    assert window.cell_panel.triptych.title.text().startswith("Cell snippet — click a dipole")  # cleared
    window.leave_review()
    assert window.review is None and run.start_button.isEnabled() and not window.actions_.live.isEnabled()

    # 6. Compare concentrations: the Study dock beside the Cells dock analyses the sessions
    study = window.study_tab
    assert window.tabifiedDockWidgets(window.cell_dock) == [window.study_dock]
    assert study.status.text().startswith("No study loaded")
    window.resize(1920, 1080)  # a full-HD window: the maps' minimum width depends on what earlier views showed
    window.study_dock.raise_()  # widened for its tables and figures (the views' minimum width permitting)
    qtbot.waitUntil(lambda: window.study_dock.width() >= 640, timeout=5000)
    assert study.load([path])
    qtbot.waitUntil(lambda: not study.is_busy() and study.open_button.isEnabled(), timeout=60000)
    assert study.error is None and study.status.text().startswith("1 sessions, 1 cells")
    assert window.cells.default_csv_path().name.startswith("liver_A_")  # Export CSV: sample name, date
    assert str(window.cells.default_csv_path().parent) == str(tmp_path / "sessions")

    # Help: a short guide in the app, and the documentation
    assert [a.text() for a in (window.actions_.getting_started, window.actions_.documentation)] == [
        "&Getting started", "&Documentation"]
