"""``AdaptiveController`` without Qt: a stop in the adaptive pass leaves the RF off, the shutter closed and every
completed step in the two files; a run that cannot plan fails safe and says why."""

import numpy as np

from analysis import physics
from analysis.pipeline import fit_session_file
from analysis.session import read_session
from app.core.adaptive_plan import first_pass_path
from app.core.adaptive_sweep import ADAPTIVE, AdaptiveController
from app.core.session_files import H5Sessions
from instruments.sweep import StepDone, SweepPlan
from tests.gui_helpers import small_microscope
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter


def _uniform(vm, points=41, pairs=6):
    f_minus, _ = physics.transitions_hz(float(np.mean(vm.b_nv_map_t)), vm.d_hz)
    return SweepPlan.from_range(f_minus - 6e6, f_minus + 6e6, points, pairs_per_step=pairs, exposure_s=1e-4)


def _make_factory(vm):
    sessions = H5Sessions()

    def make(path, plan, freq_windows_hz, extra):
        return sessions.session_factory(path, plan, freq_windows_hz=freq_windows_hz, instrument_settings={},
                                        sample_metadata={"pixel_size_m": vm.sample.pixel_size_m, **extra})
    return make


def test_stop_in_the_adaptive_pass_is_safe_and_keeps_the_completed_steps(tmp_path):
    vm = small_microscope()
    out = tmp_path / "run.h5"
    controller = AdaptiveController()
    stop_at = 4

    def listen(event):
        if isinstance(event, StepDone) and controller.snapshot().stage == ADAPTIVE and event.steps_done == stop_at:
            controller.stop()

    plan = _uniform(vm)
    controller.start_adaptive(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm), window_sizes=(41,),
                              make_factory=_make_factory(vm), out_path=out, d_hz=vm.d_hz, listeners=[listen])
    assert controller.running
    assert controller.wait(120) == "aborted"
    assert not vm.state.rf_on and not vm.state.shutter_open
    snap = controller.snapshot()
    assert snap.status == "aborted" and snap.stage == ""
    assert controller.paths == (first_pass_path(out), str(out))
    first, second = read_session(first_pass_path(out)), read_session(out)
    assert first.status == "finished" and first.step_done.all() and first.n_steps == 21
    assert second.status == "aborted" and second.n_steps_completed == stop_at
    assert second.step_done[:stop_at].all()  # the plan's steps run in order
    plan_record = second.sample_metadata["adaptive_plan"]
    np.testing.assert_allclose(second.freq_hz, plan_record["freq_hz"])
    assert second.n_pairs[:stop_at].tolist() == plan_record["pairs_per_step"][:stop_at]
    # what was measured is fitted, both passes together, live and from the files
    n_freq = np.unique(np.round(np.concatenate([first.freq_hz, second.freq_hz[:stop_at]]))).size
    assert snap.field is not None and snap.field.n_steps_used == n_freq
    freq, _ = controller.spectrum(3, 3)
    assert freq.size == n_freq
    assert fit_session_file(out).n_steps_used == n_freq
    marks = controller.plan_marks()
    np.testing.assert_allclose(marks[0], plan_record["freq_hz"])
    assert marks[1].tolist() == plan_record["pairs_per_step"]
    controller.close()


def test_a_run_that_cannot_plan_fails_safe_and_says_why(tmp_path):
    vm = small_microscope()
    controller = AdaptiveController()
    missing = tmp_path / "no-such-session.h5"
    controller.start_adaptive(_uniform(vm), FakeCamera(vm), FakeRF(vm), FakeShutter(vm), window_sizes=(41,),
                              make_factory=_make_factory(vm), out_path=tmp_path / "x.h5", previous_path=missing,
                              d_hz=vm.d_hz)
    assert controller.wait(60) == "failed"
    snap = controller.snapshot()
    assert "no-such-session.h5" in snap.failure
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert controller.paths == () and not (tmp_path / "x.h5").exists()
    controller.close()
