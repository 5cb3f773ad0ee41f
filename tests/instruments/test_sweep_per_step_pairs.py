"""Per-step pair counts (adaptive plans) in SweepPlan, the engine and the session file."""

import numpy as np
import pytest

from analysis import physics
from analysis.adaptive import combine_passes, session_pass
from analysis.session import SessionReader, SessionWriter, read_session
from app.core.session_subscriber import SessionSubscriber
from instruments.sweep import StepDone, SweepEngine, SweepPlan, SweepPlanError
from instruments.virtual_microscope import QuadraticBackground, VirtualMicroscope, VirtualSample
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter

PAIRS = (1, 3, 2, 5, 1)


def _microscope():
    return VirtualMicroscope(VirtualSample(n_rows=16, n_cols=16, background=QuadraticBackground((0.0,) * 6)), seed=5)


def _plan(vm, **kw):
    f_minus, _ = physics.transitions_hz(vm.b_nv_map_t[0, 0], vm.d_hz)
    return SweepPlan(tuple(f_minus + np.array([-6e6, -1.7e6, -1.5e6, 1.5e6, 6e6])), pairs_per_step=PAIRS, **kw)


class CountingCamera(FakeCamera):
    def __init__(self, vm):
        super().__init__(vm)
        self.grabbed_at = []

    def grab(self, n, frame_timeout=None):
        self.grabbed_at.append((self.vm.state.rf_frequency_hz, n))
        return super().grab(n, frame_timeout)


def test_plan_takes_one_pair_count_per_step_and_checks_them():
    plan = SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=[4, 1, 2], n_sweeps=2)
    assert plan.pairs_per_step == (4, 1, 2) and plan.pairs_array.tolist() == [4, 1, 2]
    assert plan.frames_total() == 2 * 7 * 2
    assert plan.to_dict()["pairs_per_step"] == [4, 1, 2]
    assert SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=3).frames_total() == 18  # the old form unchanged
    from_numpy = SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=np.array([4, 1, 2], dtype=np.int64))
    assert from_numpy.pairs_per_step == (4, 1, 2) and all(type(n) is int for n in from_numpy.pairs_per_step)
    with pytest.raises(SweepPlanError, match="2 entries for 3 frequency steps"):
        SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=(1, 2))
    with pytest.raises(SweepPlanError, match=r"pairs_per_step\[1\] = 0"):
        SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=(1, 0, 2))
    with pytest.raises(SweepPlanError, match=r"pairs_per_step\[2\] = 1.5"):
        SweepPlan((2.86e9, 2.87e9, 2.88e9), pairs_per_step=(1, 2, 1.5))


@pytest.mark.parametrize("scheme", ["software", "alternating"])
def test_engine_takes_each_steps_pairs_and_the_session_records_them(tmp_path, scheme):
    vm = _microscope()
    plan = _plan(vm, n_sweeps=2, scheme=scheme)
    camera = CountingCamera(vm)
    path = tmp_path / "adaptive.h5"

    def factory(shape, dark):
        return SessionWriter.create(path, frame_shape=shape, freq_hz=plan.frequencies_hz, plan=plan.to_dict(),
                                    instrument_settings={}, sample_metadata={}, dark_frame_adu=dark)

    events = []
    engine = SweepEngine(plan, camera, FakeRF(vm), FakeShutter(vm),
                         listeners=[SessionSubscriber(factory), events.append])
    assert engine.run() == "finished"
    assert engine.n_pairs.tolist() == [2 * p for p in PAIRS]
    # every frame grabbed with the RF at a step's frequency: 2 frames per pair, per step, per sweep
    frames_at = {}
    for f, n in camera.grabbed_at[1:]:  # the first grab is the dark frames
        frames_at[f] = frames_at.get(f, 0) + n
    assert [frames_at[f] for f in plan.freq_hz] == [2 * 2 * p for p in PAIRS]
    assert [e.n_pairs for e in events if isinstance(e, StepDone)][: len(PAIRS)] == list(PAIRS)
    assert not vm.state.rf_on and not vm.state.shutter_open
    # closed first: read_session on a file that a SessionReader holds open reads wrong sums
    with SessionReader(path) as reader:
        assert reader.freq_hz.tolist() == list(plan.freq_hz)
        assert [reader.read_step(k).n_pairs for k in range(len(PAIRS))] == [2 * p for p in PAIRS]
    freq, cube, pairs, sigma = combine_passes([session_pass(read_session(path))])
    assert freq.tolist() == sorted(plan.freq_hz) and pairs.tolist() == [2 * p for p in PAIRS]
    assert cube.shape == (16, 16, len(PAIRS)) and np.all(np.isfinite(cube))
    # the 1.7 and 1.5 MHz steps sit on the doublet's low line (its bottom and flank), the others on the baseline
    assert np.all(np.mean(cube, axis=(0, 1))[[1, 2, 3]] < 0.995)
    assert np.mean(cube, axis=(0, 1))[[0, 4]] == pytest.approx(1.0, abs=0.005)


def test_failure_mid_plan_leaves_rf_off_and_shutter_closed():
    vm = _microscope()
    plan = _plan(vm)
    engine = SweepEngine(plan, FakeCamera(vm), FakeRF(vm, fail_after_sets=3), FakeShutter(vm))
    assert engine.run() == "failed"
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert engine.n_pairs.sum() < sum(PAIRS)
