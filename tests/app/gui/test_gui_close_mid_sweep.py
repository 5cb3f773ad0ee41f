"""The window closed in the middle of a sweep: the RF output off, the shutter closed, and the session file
"aborted" with every completed step (issue 13)."""

from analysis.session import read_session
from tests.gui_helpers import open_window, sweep_values


def test_closing_the_window_mid_sweep_makes_safe_and_keeps_the_steps(qtbot, tmp_path):
    window, vm = open_window(qtbot, tmp_path, config={"camera": {"readout_s": 0.002}})
    window.sweep_panel.set_values({**window.sweep_panel.values(), **sweep_values(vm, points=41, pairs=20)})
    window.start_sweep()
    qtbot.waitUntil(lambda: window.controller.snapshot().steps_done >= 2, timeout=10000)
    assert vm.state.rf_on or vm.state.shutter_open  # mid-sweep: the instruments are working
    path = window.session_actions.live_path
    window.close()
    assert not vm.state.rf_on and not vm.state.shutter_open
    session = read_session(path)
    assert session.status == "aborted"
    assert 2 <= session.n_steps_completed < session.n_steps  # stopped mid-sweep, nothing reported lost
    assert session.step_done[:session.n_steps_completed].all()
