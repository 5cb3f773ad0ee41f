"""Session files in the window: every acquisition is written as it runs; the maps shown at the end and the cell
table go into the file; File > Open shows it again in review mode exactly as it was; metadata, recent files,
Save as, CSV and PNG export; an instrument fault keeps every completed step in the file."""

import csv
import hashlib

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from analysis.session import read_session
from app.core.analysis_seams import default_seams
from app.gui.cell_table import LABEL_COLUMN
from app.gui.views.snippet_triptych import snippet_around
from tests.gui_helpers import assert_review_matches, open_window, run_to_end

CARD = {"name": "stub network", "input": "32 x 32 snippet, T"}
SHA = hashlib.sha256(b"stub network").hexdigest()


def stub_analyzer(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, **calibration_and_steps):
    """Stands in for analysis.cells.analyze_field_map: one record per position (or two found cells), with
    values that identify the position, so the test can check what went where."""
    positions = positions_px if positions_px is not None else [(12, 12), (30, 31)]
    out = []
    for row, col in positions:
        snippet = snippet_around(b_nv_map_t, row, col)
        out.append({"row_px": float(row), "col_px": float(col), "z_m": 1e-6 * row, "z_m_err": 1e-7,
                    "diameter_m": 12e-6, "diameter_m_err": 1e-6, "iron_mass_g": 1e-12 * col,
                    "iron_mass_g_err": 1e-13, "background_t": 1e-7, "background_t_err": 1e-8,
                    "normalised_field_t": 2e-6, "normalised_field_t_err": 2e-7, "reduced_chi2": 1.1, "flag": 0,
                    "flag_names": "", "measured_t": snippet, "model_t": 0.9 * snippet, "residual_t": 0.1 * snippet,
                    "model_sha256": SHA, "model_card": CARD})
    return out


def _seams():
    seams = default_seams()
    seams.cell_analyzer = stub_analyzer
    return seams


def _wait_written(qtbot, window, writes):
    qtbot.waitUntil(lambda: window.session_actions.writes_done >= writes and not window.session_actions.busy,
                    timeout=20000)


def test_sweep_is_saved_and_review_mode_shows_it_exactly(qtbot, tmp_path):
    window, vm = open_window(qtbot, tmp_path, seams=_seams())
    window.session_panel.name.setText("HeLa dish 3")
    window.session_panel.concentration.setText("50")
    window.start_sweep()
    path = window.session_actions.live_path
    assert path.startswith(str(tmp_path / "sessions")) and "HeLa-dish-3" in path
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done >= 3, timeout=10000)
    live = read_session(path)  # the file is written as the sweep runs
    # reading takes a child-process check (analysis/session/tree.py), so a short sweep may end first
    assert live.status in ("running", "finished") and live.n_steps_completed >= 3
    run_to_end(qtbot, window)
    _wait_written(qtbot, window, 2)  # the field maps, then the (empty) cell table
    # cells: click, Detect all, label, remove
    view = window.field_view.view
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport_pos_of_pixel(24, 23))
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 1, timeout=5000)
    window.cell_panel.detect_button.click()
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 3, timeout=5000)
    model = window.cell_panel.model
    order = [(c.row_px, c.col_px) for c in model.rows()]
    window.cells.analyse_at(12, 12)  # analysed again: replaced in place, not added
    qtbot.waitUntil(lambda: window.cells.pending == 0, timeout=5000)
    assert [(c.row_px, c.col_px) for c in model.rows()] == order and window.cell_panel.selected_row() == 1
    model.setData(model.index(0, LABEL_COLUMN), "bright one")
    window.cell_panel.table.selectRow(1)
    window.cell_panel.remove_button.click()
    assert [(c.row_px, c.col_px, c.label) for c in model.rows()] == [(24, 23, "bright one"), (30, 31, "")]
    window.session_panel.notes.setPlainText("after washing")
    window.session_panel.save_button.click()
    qtbot.waitUntil(lambda: not window.session_actions.busy and not window.session_actions._cells_dirty,
                    timeout=10000)
    shown = window.controller.field_maps()
    cube = window.controller.contrast_cube()
    rows = model.rows()

    window.open_session(path)
    qtbot.waitUntil(lambda: window.review is not None, timeout=10000)
    assert not window.actions_.start.isEnabled() and "review mode" in window.actions_.start.toolTip()
    assert window.instruments.review_note.isVisibleTo(window.instruments)
    assert not window.instruments.buttons["rf"].isEnabled()
    assert window.settings.recent_files()[0] == path
    review = window.review
    # every array: the spin-contrast cube, and the maps exactly as they were shown
    maps = assert_review_matches(review, cube, shown)
    assert maps.n_steps_used == shown.n_steps_used == 21
    np.testing.assert_array_equal(window.field_view.current_image(), shown.residual_t * 1e6)
    # the spectrum of a pixel and its stored fit curve are the live ones
    np.testing.assert_allclose(review.spectrum(20, 20)[1], window.controller.spectrum(20, 20)[1], rtol=2e-7)
    np.testing.assert_allclose(review.fit_curve(20, 20)[1], window.controller.fit_curve(20, 20)[1], rtol=1e-12)
    # the cell table, numbers and labels, and the model card behind them
    reviewed = window.cell_panel.model.rows()
    assert [(c.row_px, c.col_px, c.label, c.model_sha256) for c in reviewed] == [
        (c.row_px, c.col_px, c.label, c.model_sha256) for c in rows]
    for name in ("z_m", "z_m_err", "iron_mass_g", "iron_mass_g_err", "normalised_field_t", "reduced_chi2"):
        assert [getattr(c, name) for c in reviewed] == [getattr(c, name) for c in rows], name
    assert review.session.models[SHA] == CARD
    # the triptych of a cell as it was analysed: measured, reconstructed and residual come from the file
    window.cells.show_cell(0)
    triptych = window.cell_panel.triptych
    for name, live in (("measured", rows[0].measured_t), ("reconstructed", rows[0].model_t),
                       ("residual", rows[0].residual_t)):
        np.testing.assert_allclose(triptych.shown(name), np.asarray(live) * 1e6, rtol=1e-6, err_msg=name)
    assert review.session.sample_metadata["name"] == "HeLa dish 3"
    assert review.session.sample_metadata["spion_concentration_ug_per_ml"] == 50.0
    assert review.session.sample_metadata["notes"] == "after washing"
    assert review.session.truth is not None and len(review.session.truth["cells"]) == 1
    # browsing the steps
    window.step_browser.slider.setValue(5)
    np.testing.assert_array_equal(window.contrast_view.image.image, cube[5])
    # exports
    csv_path = window.cells.export_csv(tmp_path / "cells.csv")
    with open(csv_path, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [(float(r["row_px"]), float(r["z_m"]), r["label"]) for r in table] == [
        (24.0, pytest.approx(24e-6, rel=1e-12), "bright one"), (30.0, pytest.approx(30e-6, rel=1e-12), "")]
    assert table[0]["z_m_err"] == repr(1e-7) and table[0]["model_sha256"] == SHA
    png = window.export_view("field map", tmp_path / "field.png")
    assert (tmp_path / "field.png").stat().st_size > 1000 and png.endswith(".png")
    # back to live: Start is possible again
    window.actions_.live.trigger()
    assert window.review is None and window.actions_.start.isEnabled()


def test_save_as_copies_the_finished_file(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path, seams=_seams())
    window.start_sweep()
    run_to_end(qtbot, window)
    _wait_written(qtbot, window, 2)
    copy = tmp_path / "copy.h5"
    window.save_session(copy)
    qtbot.waitUntil(lambda: window.session_actions.current_path == str(copy), timeout=10000)
    session = read_session(copy)
    assert session.status == "finished" and session.field_map is not None
    taken = tmp_path / "taken.h5"
    taken.write_bytes(b"someone's data")
    window.save_session(taken)  # never over an existing file
    qtbot.waitUntil(lambda: window.errors.last_dialog is not None, timeout=5000)
    assert "exists" in window.errors.last_dialog.text() and taken.read_bytes() == b"someone's data"


def test_a_chosen_file_that_exists_is_never_overwritten(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path, seams=_seams())
    taken = tmp_path / "taken.h5"
    taken.write_bytes(b"someone's data")
    window.session_actions.choose_path(taken)
    window.start_sweep()
    assert window.errors.last_dialog is not None and "exists" in window.errors.last_dialog.text()
    assert not window.controller.running and taken.read_bytes() == b"someone's data"


# SCPI commands: 4 on connecting, 4 before the first step, then 14 per step (3 pairs: FREQ, 3 x OUTP ON/OFF, each
# with its SYST:ERR? in the same message); the mock generator leaves the first query at or after the 140th command
# unanswered: step 10, its first OUTP 0.
# Camera: 8 dark frames before the first step, then 6 frames per step (3 pairs); it goes away at the 71st: step 11.
FAULTS = {
    "rf timeout": ({"faults": {"rf_timeout_after_n_commands": 140}, "rf": {"timeout_s": 0.5}},
                   "did not answer 'OUTP 0;:SYST:ERR?' within 0.5 s (config: rf.timeout_s)", 9),
    "camera lost": ({"faults": {"camera_disconnect_after_n_frames": 71}},
                    "the mock camera stopped responding (injected fault: faults.camera_disconnect_after_n_frames)", 10),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_instrument_fault_keeps_every_completed_step_in_the_file(qtbot, tmp_path, fault):
    config, message, steps_done = FAULTS[fault]
    window, vm = open_window(qtbot, tmp_path, seams=_seams(), config=config)
    window.start_sweep()
    path = window.session_actions.live_path
    qtbot.waitUntil(lambda: window.errors.last_dialog is not None, timeout=10000)
    assert message in window.errors.last_dialog.text()
    assert not vm.state.rf_on and not vm.state.shutter_open
    snap = window.controller.snapshot()
    assert snap.status == "failed" and snap.steps_done == steps_done and snap.steps_total == 21
    # the fit of the completed steps goes into the file too; read it once the window is done writing
    qtbot.waitUntil(lambda: window.session_actions.writes_done >= 2 and not window.session_actions.busy,
                    timeout=20000)
    session = read_session(path)
    assert session.field_map is not None and session.fit.settings["n_steps_used"] == snap.steps_done
    assert session.status == "failed" and message in session.status_reason
    assert session.n_steps_completed == snap.steps_done
    cube = window.controller.contrast_cube()
    done = session.step_done
    np.testing.assert_allclose(session.spin_contrast()[done].astype(np.float32), cube[done], rtol=2e-7)
    assert np.all(np.isnan(cube[~done]))
    window.errors.last_dialog.done(0)


def test_review_needs_no_instrument_and_fits_a_file_without_a_fit(qtbot, tmp_path):
    from app.cli.main import main
    from app.gui.main_window import MainWindow
    from tests.gui_helpers import mock_backend

    path = tmp_path / "headless.h5"  # acquired without the window, not fitted
    assert main(["acquire", "--mock", "--out", str(path), "--pairs", "3", "--size", "40", "40", "--cells", "1",
                 "--window-ghz", "2.0240", "2.0345", "21"]) == 0
    window = MainWindow(mock_backend(), seams=_seams(), settings_path=tmp_path / "s.ini",
                        log_dir=str(tmp_path / "logs"), auto_connect=False)
    qtbot.addWidget(window)
    window.show()
    assert not any(state == "connected" for state in window.instruments.states.values())
    window.open_session(path)
    qtbot.waitUntil(lambda: window.review is not None, timeout=20000)
    assert window.review.field_maps() is None and window.field_view.maps is None
    assert window.actions_.fit_now.isEnabled()
    window.actions_.fit_now.trigger()
    qtbot.waitUntil(lambda: window.review is not None and window.review.field_maps() is not None, timeout=60000)
    maps = window.review.field_maps()
    assert maps.b_nv_t.shape == (40, 40) and maps.n_steps_used == 21
    np.testing.assert_array_equal(window.field_view.current_image(), maps.residual_t * 1e6)
    assert window.review.fit_curve(20, 20) is not None


def test_session_panel_says_which_stored_snippets_were_left_out(tmp_path):
    """A damaged snippet dataset is named in the session panel's description (and logged on review), not
    silently dropped."""
    import h5py

    from analysis.session import write_cells
    from app.gui.panels.session_panel import describe_session
    from tests.analysis.test_session_roundtrip import make_session

    path, _ = make_session(tmp_path / "d.h5", n_sweeps=1)
    write_cells(path, [{"row_px": 3.0}], snippets={"measured_t": np.zeros((1, 32, 32))})
    assert "stored cell snippets" not in describe_session(read_session(path))
    with h5py.File(path, "a") as f:
        del f["analysis/cells/snippets/measured_t"]
        f["analysis/cells/snippets/measured_t"] = np.zeros((1, 32))
    text = describe_session(read_session(path))
    assert "stored cell snippets not shown" in text and "measured_t has shape (1, 32)" in text
