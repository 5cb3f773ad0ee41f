"""Start / Pause / Stop, invalid settings, and an instrument fault in the middle of a sweep."""

import threading

from PyQt6.QtCore import Qt

from app.core.app_logging import LOG_NAME
from app.gui.theme import INVALID_STYLE
from tests.gui_helpers import open_window, sweep_values

RF_TIMEOUT_S = 0.5  # the mock generator's silence becomes a timeout this soon (local replies take < 1 ms)


def count_exposures(vm):
    """Count the frames the mock camera exposes (each one renders the virtual microscope once)."""
    counter = {"frames": 0}
    render = vm.render_frame

    def counting_render(*args, **kwargs):
        counter["frames"] += 1
        return render(*args, **kwargs)

    vm.render_frame = counting_render
    return counter


def test_pause_resume_and_stop(qtbot, tmp_path):
    # a camera reading out for 2 ms per frame, like a real one, so that the sweep is still running when paused
    window, vm = open_window(qtbot, tmp_path, config={"camera": {"readout_s": 0.002}})
    camera = count_exposures(vm)
    window.sweep_panel.set_values({**window.sweep_panel.values(), **sweep_values(vm, points=21, pairs=20)})
    window.start_sweep()
    assert not window.actions_.start.isEnabled() and window.actions_.stop.isEnabled()
    assert not window.sweep_panel.edits["pairs"].isEnabled()  # settings are frozen while running
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done >= 2, timeout=10000)
    window.actions_.pause.trigger()
    qtbot.waitUntil(lambda: window.run_panel.status.text().startswith("paused"), timeout=2000)
    assert window.run_panel.pause_button.text() == "Resume"
    frames = camera["frames"]
    done = window.controller.snapshot().steps_done
    threading.Event().wait(0.3)
    assert camera["frames"] - frames <= 2  # at most the pair in flight when paused
    assert window.controller.snapshot().steps_done == done
    window.actions_.pause.trigger()  # resume
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done > done, timeout=5000)
    assert window.run_panel.pause_button.text() == "Pause"
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)  # Ctrl+. stops
    qtbot.waitUntil(lambda: window.controller.snapshot().status == "aborted", timeout=5000)
    assert window.controller.snapshot().steps_done < 21
    assert not vm.state.rf_on and not vm.state.shutter_open
    qtbot.waitUntil(window.actions_.start.isEnabled, timeout=2000)  # may start again
    assert window.sweep_panel.edits["pairs"].isEnabled()


def test_invalid_settings_disable_start_with_the_reason(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path)
    assert window.actions_.start.isEnabled() and window.run_panel.start_button.isEnabled()
    power = window.sweep_panel.edits["power_dbm"]
    power.setText("25")
    reason = "RF power: 25 dBm is above the configured limit of 10 dBm (config: rf.max_power_dbm)."
    assert not window.actions_.start.isEnabled() and not window.run_panel.start_button.isEnabled()
    assert power.toolTip() == reason and power.styleSheet() == INVALID_STYLE
    assert reason in window.sweep_panel.reason.text()
    assert reason in window.actions_.start.toolTip()
    window.sweep_panel.edits["w1_stop_mhz"].setText("1.5e3")
    assert "must be above Start" in window.sweep_panel.edits["w1_stop_mhz"].toolTip()
    window.start_sweep()  # the shortcut's slot refuses too
    assert window.controller.engine is None
    power.setText("0")
    window.sweep_panel.edits["w1_stop_mhz"].setText(sweep_values(window.backend.microscope)["w1_stop_mhz"])
    assert window.actions_.start.isEnabled() and power.styleSheet() == ""


def test_start_needs_every_instrument(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path)
    window.instruments.disconnect("shutter")
    qtbot.waitUntil(lambda: window.instruments.states["shutter"] == "disconnected", timeout=3000)
    assert not window.actions_.start.isEnabled()
    assert "connect every instrument" in window.actions_.start.toolTip()
    window.instruments.connect("shutter")
    qtbot.waitUntil(window.actions_.start.isEnabled, timeout=3000)


def test_rf_fault_mid_sweep_shows_the_error_and_leaves_things_safe(qtbot, tmp_path):
    # SCPI commands: 4 on connecting, 4 before the first step, then 14 per step (3 pairs: FREQ, 3 x OUTP ON/OFF,
    # each with its SYST:ERR? in the same message); the generator leaves the first query at or after the 40th
    # command unanswered (step 3, its first OUTP 1)
    faults = {"rf_timeout_after_n_commands": 40}
    window, vm = open_window(qtbot, tmp_path, config={"faults": faults, "rf": {"timeout_s": RF_TIMEOUT_S}})
    window.start_sweep()
    qtbot.waitUntil(lambda: window.errors.last_dialog is not None, timeout=10000)
    dialog = window.errors.last_dialog
    assert dialog.isVisible()
    timeout = f"did not answer 'OUTP 1;:SYST:ERR?' within {RF_TIMEOUT_S:g} s (config: rf.timeout_s)"
    assert timeout in dialog.text() and "switched off" in dialog.informativeText()
    snap = window.controller.snapshot()
    assert snap.status == "failed" and snap.steps_done == 2
    assert not vm.state.rf_on and not vm.state.shutter_open
    log_text = (tmp_path / "logs" / LOG_NAME).read_text()
    assert "sweep failed: InstrumentTimeoutError: " in log_text and timeout in log_text
    dialog.done(0)  # the user presses OK
    qtbot.waitUntil(lambda: window.errors.last_dialog is None, timeout=2000)
    assert window.actions_.start.isEnabled()  # the user can try again


def test_switching_the_field_map_mode_keeps_one_colour_bar_label(qtbot):
    from app.gui.views.field_map_view import _DISPLAY, MODES, FieldMapView

    view = FieldMapView(pixel_size_m=1.3e-6)
    qtbot.addWidget(view)
    bar = view.view.colorbar
    for mode in (*MODES, *MODES):
        view.set_mode(mode)
        assert bar.getAxis("left").labelText == _DISPLAY[mode][0]
        assert not bar.getAxis("right").labelText  # the value axis carries no second label
