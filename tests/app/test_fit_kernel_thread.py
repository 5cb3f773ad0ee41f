"""KernelThread.run_fit: only the fit's per-pixel kernel runs in the kernel thread, the rest in the caller's."""

import os
import sys
import threading

import numpy as np
import pytest

from analysis import physics
from analysis.odmr import fit_odmr
from app.core.low_priority import FIT_NICENESS, KernelThread


def _where():
    return threading.current_thread().name


def test_a_fit_that_takes_run_kernel_runs_only_its_kernel_in_the_kernel_thread():
    def fit(x, run_kernel=None):
        return run_kernel(lambda y: (y, _where()), x), _where()

    kernel = KernelThread()
    try:
        (value, kernel_thread), caller_thread = kernel.run_fit(fit, 3)
    finally:
        kernel.close()
    assert value == 3
    assert kernel_thread.startswith("nvscope-fit-kernel") and caller_thread == threading.current_thread().name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own nice value on Linux only")
def test_the_kernel_thread_runs_at_the_callers_priority():
    """Niced, the kernel's thread made the GUI thread wait behind its wait for a CPU whenever it held or asked for
    the GIL (longer stalls, bench_gui_responsiveness; docs/performance.md, 2026-12-04)."""

    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    kernel = KernelThread()
    try:
        assert FIT_NICENESS == 0 and kernel.call(niceness) == niceness()
    finally:
        kernel.close()


def test_a_fit_without_run_kernel_runs_whole_in_the_kernel_thread():
    kernel = KernelThread()
    try:
        assert kernel.run_fit(lambda x: (x, _where()), 4)[1].startswith("nvscope-fit-kernel")
    finally:
        kernel.close()


def test_fit_odmr_through_the_kernel_thread_gives_the_same_maps_as_a_direct_call():
    freq_hz = np.linspace(2.860e9, 2.880e9, 41)
    rng = np.random.default_rng(1)
    centres = 2.870e9 + rng.normal(0.0, 0.5e6, (4, 5))
    cube = np.stack([physics.odmr_spectrum(freq_hz, c, 1e6, 0.02, isotope="15N") for c in centres.ravel()])
    cube = (cube + rng.normal(0.0, 0.002, cube.shape)).reshape(4, 5, -1)
    direct = fit_odmr(cube, freq_hz, model="15N")
    kernel = KernelThread()
    try:
        niced = kernel.run_fit(fit_odmr, cube, freq_hz, model="15N")
    finally:
        kernel.close()
    np.testing.assert_array_equal(niced.b_nv_t, direct.b_nv_t)  # the same kernel on the same input: bit-equal
    np.testing.assert_array_equal(niced.converged, direct.converged)
    assert np.all(direct.converged)


def test_errors_come_back_to_the_caller_calls_queue_and_a_closed_thread_says_so():
    kernel = KernelThread()
    try:
        def fails():
            raise ValueError("bad input 7")

        try:
            kernel.call(fails)
        except ValueError as exc:
            assert "bad input 7" in str(exc)
        else:
            raise AssertionError("the kernel's error did not reach the caller")
        results = []
        callers = [threading.Thread(target=lambda k=k: results.append(kernel.call(lambda: k * k))) for k in range(8)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(10)
        assert sorted(results) == [k * k for k in range(8)]  # every caller got its own result
    finally:
        kernel.close()
    kernel.close()  # twice: nothing happens
    try:
        kernel.call(lambda: 1)
    except RuntimeError as exc:
        assert "closed" in str(exc)
    else:
        raise AssertionError("a call after close ran")
