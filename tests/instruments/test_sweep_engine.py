"""The sweep engine on in-process fakes of the instruments (the real mocks are tested in test_acquisition_*)."""

import threading

import numpy as np
import pytest

from analysis import physics
from app.core.session_subscriber import SessionSubscriber
from instruments.sweep import StepDone, SweepEngine, SweepFailed, SweepFinished, SweepPlan, SweepPlanError
from instruments.virtual_microscope import QuadraticBackground, VirtualMicroscope, VirtualSample
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter


def _microscope():
    sample = VirtualSample(n_rows=24, n_cols=24, background=QuadraticBackground((0.0,) * 6))
    return VirtualMicroscope(sample, seed=3)


def _plan(vm, **kw):
    f_minus, _ = physics.transitions_hz(vm.b_nv_map_t[0, 0], vm.d_hz)
    return SweepPlan.from_range(f_minus - 4e6, f_minus + 4e6, 41, pairs_per_step=kw.pop("pairs", 4), **kw)


@pytest.mark.parametrize("scheme", ["software", "alternating"])
def test_sweep_finds_the_dips_and_leaves_things_safe(scheme):
    vm = _microscope()
    plan = _plan(vm, scheme=scheme)
    events = []
    engine = SweepEngine(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm), listeners=[events.append])
    assert engine.run() == "finished"
    steps = [e for e in events if isinstance(e, StepDone)]
    assert len(steps) == plan.n_steps
    assert isinstance(events[-1], SweepFinished) and events[-1].status == "finished"
    spectrum = np.nanmean(engine.spin_contrast_cube(), axis=(1, 2))
    f = plan.frequencies_hz
    f_minus, _ = physics.transitions_hz(vm.b_nv_map_t[0, 0], vm.d_hz)
    two_deepest = np.sort(f[np.argsort(spectrum)[:2]])
    # step 0.2 MHz: the dips land on the nearest steps to f_minus -/+ 1.515 MHz
    assert two_deepest == pytest.approx([f_minus - 1.515e6, f_minus + 1.515e6], abs=0.11e6)
    assert 1 - spectrum.min() > 0.01  # about 1.5 % contrast per line at 0 dBm
    assert spectrum.max() == pytest.approx(1.0, abs=0.002)  # off resonance the ratio is 1
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert set(events[-1].timing) >= {"rf_s", "camera_s", "processing_s", "total_s"}


def test_abort_between_frames_leaves_rf_off_and_shutter_closed():
    vm = _microscope()
    plan = _plan(vm, pairs=50)
    engine = SweepEngine(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm))
    seen = threading.Event()
    engine.add_listener(lambda e: seen.set() if isinstance(e, StepDone) else None)
    engine.start()
    assert seen.wait(20)
    engine.abort()
    assert engine.wait(20) == "aborted"
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert 0 < engine.n_pairs.sum() < plan.n_steps * plan.pairs_per_step


def test_pause_and_resume():
    vm = _microscope()
    plan = _plan(vm, pairs=20)
    engine = SweepEngine(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm))
    first = threading.Event()
    engine.add_listener(lambda e: first.set() if isinstance(e, StepDone) else None)
    engine.start()
    assert first.wait(20)
    engine.pause()
    frames = engine.camera.frames
    threading.Event().wait(0.3)
    assert engine.camera.frames - frames <= 2  # at most the pair in flight finishes
    engine.resume()
    assert engine.wait(60) == "finished"
    assert engine.n_pairs.tolist() == [20] * plan.n_steps


def test_instrument_fault_is_reported_and_leaves_things_safe():
    vm = _microscope()
    events = []
    engine = SweepEngine(_plan(vm), FakeCamera(vm), FakeRF(vm, fail_after_sets=10), FakeShutter(vm),
                         listeners=[events.append])
    assert engine.run() == "failed"
    assert isinstance(events[-1], SweepFailed) and "injected RF timeout" in events[-1].reason
    assert not vm.state.rf_on and not vm.state.shutter_open


def test_plan_validation_and_limits():
    with pytest.raises(SweepPlanError, match="pairs_per_step = 0"):
        SweepPlan.from_range(2.0e9, 2.1e9, 11, pairs_per_step=0)
    with pytest.raises(SweepPlanError, match="scheme 'toggle'"):
        SweepPlan.from_range(2.0e9, 2.1e9, 11, scheme="toggle")
    with pytest.raises(SweepPlanError, match="nan"):
        SweepPlan((2.0e9, float("nan"), 2.1e9))
    plan = SweepPlan.from_range(2.0e9, 2.1e9, 11, rf_power_dbm=25.0)
    with pytest.raises(SweepPlanError, match="RF power 25.0 dBm is above the configured limit of 10 dBm"):
        plan.check_limits(1e9, 6e9, 10)
    with pytest.raises(SweepPlanError, match="range"):
        SweepPlan.from_range(2.0e9, 2.1e9, 11).check_limits(2.05e9, 6e9, 10)
    two = SweepPlan.from_windows([(2.02e9, 2.04e9, 11), (3.70e9, 3.72e9, 11)])
    assert two.n_steps == 22 and two.frames_total() == 2 * 300 * 22


def test_sweep_writes_every_step_to_the_session_file(tmp_path):
    from analysis.session import SessionWriter, read_session

    vm = _microscope()
    plan = _plan(vm, n_sweeps=2, pairs=3)
    path = tmp_path / "s.h5"

    def factory(shape, dark):
        return SessionWriter.create(path, frame_shape=shape, freq_hz=plan.frequencies_hz, plan=plan.to_dict(),
                                    instrument_settings={"camera": "fake"}, sample_metadata={"name": "t"},
                                    dark_frame_adu=dark)

    engine = SweepEngine(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm), listeners=[SessionSubscriber(factory)])
    assert engine.run() == "finished"
    session = read_session(path)
    assert session.status == "finished"
    np.testing.assert_array_equal(session.on_sum, engine.on_sums)
    np.testing.assert_array_equal(session.off_sum, engine.off_sums)
    assert session.n_pairs.tolist() == [6] * plan.n_steps
    np.testing.assert_allclose(session.spin_contrast(), engine.spin_contrast_cube(), rtol=1e-6)
    assert session.dark_frame_adu.mean() == pytest.approx(vm.camera.bias_adu, abs=0.5)
