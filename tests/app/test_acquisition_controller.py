"""The acquisition controller without Qt: it stores the newest data, fits the acquired steps and cleans up."""

import os
import sys
import threading

import numba
import numpy as np
import pytest

from analysis import physics
from app.core.acquisition_controller import AcquisitionController
from app.core.analysis_seams import AnalysisSeams
from instruments.sweep import SweepPlan
from tests.gui_helpers import small_microscope
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter


def _instruments(vm):
    return FakeCamera(vm), FakeRF(vm), FakeShutter(vm)


def test_spectrum_matches_the_engine_and_the_fit_sees_every_step():
    vm = small_microscope()
    seen = []

    def fit(cube, freq_hz, model, transitions, d_hz):
        seen.append((cube.shape, len(freq_hz), transitions))
        return AnalysisSeams().fit_odmr(cube, freq_hz, model=model, transitions=transitions)

    controller = AcquisitionController(AnalysisSeams(fit_odmr=fit), fit_interval_s=0.0)
    plan = SweepPlan.from_range(2025e6, 2033e6, 21, pairs_per_step=2)
    controller.start(plan, *_instruments(vm))
    assert controller.wait(30) == "finished"
    assert controller.fitter.wait_idle(30)
    snap = controller.snapshot()
    assert snap.status == "finished" and snap.steps_done == 21 and snap.time_left_s == 0.0
    assert snap.camera_frame.shape == (48, 48) and snap.camera_version > 0
    freq, values = controller.spectrum(5, 7)
    np.testing.assert_allclose(values, controller.engine.spin_contrast_cube()[:, 5, 7], rtol=1e-6)
    assert controller.spectrum(48, 0) is None  # outside the frame
    # live fits saw growing prefixes of the cube, (rows, cols, n_freq), never fewer than 5 steps; the last all 21
    assert all(shape[:2] == (48, 48) and shape[2] == n >= 5 for shape, n, _ in seen)
    assert seen[-1] == ((48, 48, 21), 21, 1)
    assert snap.field.n_steps_used == 21
    # after the sweep the contrast image worth showing is at a hyperfine line: f- -/+ 1.515 MHz, to one 0.4 MHz step
    step, freq_hz, image = controller.deepest_step()
    f_minus, _ = physics.transitions_hz(float(np.mean(vm.b_nv_map_t)), vm.d_hz)
    assert min(abs(freq_hz - f_minus - 1.515e6), abs(freq_hz - f_minus + 1.515e6)) <= 0.4e6
    assert image.shape == (48, 48) and np.nanmean(image) < 0.995  # a dip of about 1.5 %
    controller.close()


def test_two_windows_are_fitted_as_two_transitions_only_once_both_are_measured():
    controller = AcquisitionController(fit_interval_s=0.0)
    plan = SweepPlan.from_windows([(2025e6, 2033e6, 11), (3706e6, 3714e6, 11)], pairs_per_step=1)
    controller.plan, controller._window_sizes = plan, (11, 11)
    controller._cube = np.ones((22, 4, 4), np.float32)
    controller._versions = np.ones(22, np.int64)
    controller._progress = (15, 22, 14, 0, plan.freq_hz[14])  # first sweep, into the second window
    job = controller._fit_inputs()
    assert job.n_used == 11 and job.transitions == 1 and job.freq_hz[-1] == pytest.approx(2033e6)
    controller._progress = (22, 22, 21, 0, plan.freq_hz[21])
    job = controller._fit_inputs()
    assert job.n_used == 22 and job.transitions == 2 and job.freq_hz.size == 22
    controller.close()


def test_close_aborts_a_running_sweep_and_leaves_things_safe():
    vm = small_microscope()
    controller = AcquisitionController()
    plan = SweepPlan.from_range(2025e6, 2033e6, 21, pairs_per_step=400)
    step = threading.Event()
    controller.start(plan, *_instruments(vm))
    controller.engine.add_listener(lambda e: step.set())
    assert step.wait(20)
    engine = controller.engine
    controller.close()
    assert controller.snapshot().status == "aborted"
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert not engine._thread.is_alive() and not controller.fitter._thread.is_alive()


def test_a_failing_fit_is_reported_without_stopping_the_sweep():
    vm = small_microscope()

    def broken_fit(cube, freq_hz, model, transitions, d_hz):
        raise ValueError("no convergence anywhere")

    controller = AcquisitionController(AnalysisSeams(fit_odmr=broken_fit), fit_interval_s=0.0)
    controller.start(SweepPlan.from_range(2025e6, 2033e6, 11, pairs_per_step=1), *_instruments(vm))
    assert controller.wait(30) == "finished"
    controller.fitter.wait_idle(10)
    snap = controller.snapshot()
    assert snap.fit_error == "ValueError: no convergence anywhere" and snap.field is None
    controller.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own nice value on Linux only")
def test_the_live_fit_runs_in_its_thread_at_the_callers_priority_and_leaves_a_core_free():
    """Niced, the fit's thread made the GUI thread wait behind its own wait for a CPU whenever it held or asked for
    the GIL (longer stalls in bench_gui_responsiveness; docs/performance.md, 2026-12-04)."""
    seen = {}

    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def fit(cube, freq_hz, model, transitions, d_hz):
        seen.update(thread=threading.current_thread().name, nice=niceness(), numba_threads=numba.get_num_threads())
        raise ValueError("seen")

    controller = AcquisitionController(AnalysisSeams(fit_odmr=fit), fit_interval_s=0.0)
    controller.start(SweepPlan.from_range(2025e6, 2033e6, 11, pairs_per_step=1), *_instruments(small_microscope()))
    assert controller.wait(30) == "finished"
    controller.fitter.wait_idle(10)
    controller.close()
    assert seen == {"thread": "nvscope-live-fit", "nice": niceness(),
                    "numba_threads": max(1, numba.config.NUMBA_NUM_THREADS - 1)}
