"""The window starts on the virtual microscope, connects the mock instruments and runs a sweep to the end."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from app.core.instruments import INSTRUMENT_NAMES
from tests.gui_helpers import N_PX, open_window, run_to_end


def test_window_starts_on_the_mock_microscope_and_runs_a_sweep(qtbot, tmp_path):
    window, vm = open_window(qtbot, tmp_path)
    assert "virtual microscope" in window.windowTitle()
    for name in INSTRUMENT_NAMES:
        assert window.instruments.states[name] == "connected"
        assert window.instruments.modes[name].text() == "mock"
        # what the instrument layer's mocks say they are: "MockCamera(48x48)", the mock SMB100A's *IDN? reply
        # (serial number MOCK0001), "MockShutter()"
        assert "mock" in window.instruments.identities[name].text().lower()
    assert window.actions_.start.isEnabled()
    assert window.actions_.start.shortcut().toString() == "Ctrl+R"
    assert window.actions_.stop.shortcut().toString() == "Ctrl+."
    assert window.actions_.save.shortcut().toString() == "Ctrl+S"
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done > 0 or not window.controller.running,
                    timeout=10000)
    run_to_end(qtbot, window)
    snap = window.controller.snapshot()
    assert snap.status == "finished" and snap.steps_done == snap.steps_total == 21
    assert window.run_panel.progress.value() == 21 and "0 s" in window.run_panel.time_left.text()
    # the camera frame view shows a lit frame (bias 100 ADU; lit pixels are thousands of ADU)
    assert window.camera_view.image.image.shape == (N_PX, N_PX)
    assert np.mean(window.camera_view.image.image) > 1000
    # the field map has data: the fitted raw field is the bias plus the background, to within the noise
    maps = window.field_view.maps
    assert maps is not None and maps.n_steps_used == 21
    b_mean_t = np.nanmean(maps.b_nv_t)
    # the mean of 2304 pixels: statistical error well under 1 uT, hence 2 uT
    assert b_mean_t == pytest.approx(np.mean(vm.b_nv_map_t), abs=2e-6)
    # pixels whose fit did not converge are NaN in the background-subtracted map (as in nvscope fit); with 3
    # pairs per step a few percent of them do not
    converged = np.isfinite(window.field_view.current_image())
    assert converged.mean() > 0.9 and np.array_equal(converged, maps.fit.converged)
    assert not vm.state.rf_on and not vm.state.shutter_open
