"""A thread at a lower scheduling priority for the live fit's numba kernel, and only for it.

On a busy machine the kernel (Linux) gives a niced thread the CPU last. That is what the fit's compute should
get, but a niced thread that holds the GIL (numpy input checks, the background's least squares, copies) and is
preempted keeps every other thread, the GUI's included, waiting until it runs again. So the live fit runs in a
thread at the GUI's priority and hands only the ODMR fit's per-pixel numba kernel, which releases the GIL, to
this one (``run_fit``; the fit's input checks and result assembly, numpy holding the GIL, stay in the caller's
thread: run niced, they held the GIL for up to 45 ms while the GUI thread waited, bench_gui_responsiveness
--events).
"""

import inspect
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

FIT_NICENESS = 10
"""How much lower than the GUI's the fit kernel's scheduling priority is (Linux nice levels; the numba threads
it starts inherit it): on a busy machine the kernel then gives the GUI thread the CPU first, and the fit waits."""


def lower_thread_priority(niceness):
    """Lower the calling thread's scheduling priority by ``niceness`` (Linux: threads have their own nice value;
    elsewhere nothing happens). Returns True when it was lowered."""
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
    except OSError:
        return False
    return True


def _start_kernel_thread():
    lower_thread_priority(FIT_NICENESS)  # before numba starts its threads from this one: they inherit it
    # numba's thread count is per launching thread: the fit leaves one core to acquisition and the GUI
    numba.set_num_threads(max(1, numba.config.NUMBA_NUM_THREADS - 1))


class KernelThread:
    """``call(fn, *args, **kwargs)`` runs ``fn`` in one niced thread and returns its result (or raises)."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="nvscope-fit-kernel", initializer=_start_kernel_thread)

    def call(self, fn, *args, **kwargs):
        return self._pool.submit(fn, *args, **kwargs).result()

    def run_fit(self, fit_odmr, *args, **kwargs):
        """``fit_odmr(*args, **kwargs)`` with only its per-pixel kernel in this thread when it takes a
        ``run_kernel`` (``analysis.odmr.fit_odmr`` does); a fit that does not (a test's) runs here whole."""
        if "run_kernel" in inspect.signature(fit_odmr).parameters:
            return fit_odmr(*args, run_kernel=self.call, **kwargs)
        return self.call(fit_odmr, *args, **kwargs)

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)
