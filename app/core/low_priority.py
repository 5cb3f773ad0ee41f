"""The live fit's numba kernel in a thread of its own: its own numba thread count, and a scheduling priority that can
be set apart from the GUI's (``FIT_NICENESS``; 0 now, see below).

The live fit runs in a thread at the GUI's priority and hands only the ODMR fit's per-pixel numba kernel, which
releases the GIL, to this one (``run_fit``; the fit's input checks and result assembly, numpy holding the GIL,
stay in the caller's thread: run niced, they held the GIL for up to 45 ms while the GUI thread waited,
bench_gui_responsiveness --events).

The hand-over goes through two pipes, not a ``concurrent.futures`` future: a future's result wakes the waiting
thread with ``Condition.notify``, which holds the GIL, and the woken thread preempts the notifying one right
there, GIL and all (py-spy --gil: the kernel thread held the GIL in ``Future.set_result`` ~25 ms per sweep while
niced). ``os.write`` releases the GIL around the system call that wakes the waiter.

Why not niced any more: even this thread takes the GIL for a moment around each kernel call (the dispatch, the
pipe's read and write). Niced (+10) beside two CPU-bound processes it then waited long for a CPU with the GIL
requested or held, and every Python thread, the GUI's included, waited with it (--events: 54 ms with the GUI
thread blocked and no event running). Run alternately on one machine, 20 runs each of bench_gui_responsiveness
--burners 2: niced, 5 runs over 30 ms (longest 53 ms); at the GUI's priority, 2 (longest 34 ms); the sweeps as
long, the 99th percentile about 1 ms longer (docs/performance.md, 2026-12-04).
"""

import inspect
import os
import sys
import threading

import numba

FIT_NICENESS = 0
"""How much lower than the GUI's the fit kernel's scheduling priority is (Linux nice levels; the numba threads it
starts inherit it). 0: a niced thread that takes the GIL, even briefly, makes the GUI wait behind its own wait for
a CPU (see the module's docstring); 10 measured worse in the longest stall, not better."""


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
    if FIT_NICENESS:
        lower_thread_priority(FIT_NICENESS)  # before numba starts its threads from this one: they inherit it
    # numba's thread count is per launching thread: the fit leaves one core to acquisition and the GUI
    numba.set_num_threads(max(1, numba.config.NUMBA_NUM_THREADS - 1))


class KernelThread:
    """``call(fn, *args, **kwargs)`` runs ``fn`` in one thread (at ``FIT_NICENESS``) and returns its result (or
    raises); one call at a time (callers queue)."""

    def __init__(self):
        self._calls = threading.Lock()  # one call at a time
        self._state = threading.Lock()  # the closed flag and the request pipe's write end
        self._closed = self._reply_closed = False
        self._job = self._outcome = None
        self._request_r, self._request_w = os.pipe()
        self._reply_r, self._reply_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="nvscope-fit-kernel", daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            _start_kernel_thread()
            while os.read(self._request_r, 1) == b"j":  # b"q" or end of file: closed
                fn, args, kwargs = self._job
                try:
                    self._outcome = (True, fn(*args, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                    self._outcome = (False, exc)
                self._job = None
                os.write(self._reply_w, b"d")  # wakes the caller with the GIL released
        finally:
            os.close(self._request_r)
            os.close(self._reply_w)

    def call(self, fn, *args, **kwargs):
        with self._calls:
            with self._state:
                if self._closed:
                    raise RuntimeError("the live fit's kernel thread has been closed (the window is closing).")
                self._job = (fn, args, kwargs)
                os.write(self._request_w, b"j")
            replied = os.read(self._reply_r, 1) == b"d"  # b"": the thread ended without a reply
            ok, value = self._outcome if replied else (False, RuntimeError(
                "the live fit's kernel thread ended unexpectedly; the details are in the log file."))
            self._outcome = None
            with self._state:
                if self._closed and not self._reply_closed:  # closed during this call: the last to use it
                    self._reply_closed = True
                    os.close(self._reply_r)
        if not ok:
            raise value
        return value

    def run_fit(self, fit_odmr, *args, **kwargs):
        """``fit_odmr(*args, **kwargs)`` with only its per-pixel kernel in this thread when it takes a
        ``run_kernel`` (``analysis.odmr.fit_odmr`` does); a fit that does not (a test's) runs here whole."""
        if "run_kernel" in inspect.signature(fit_odmr).parameters:
            return fit_odmr(*args, run_kernel=self.call, **kwargs)
        return self.call(fit_odmr, *args, **kwargs)

    def close(self):
        """Stop the thread after the call in progress, if any (without waiting for it)."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            os.write(self._request_w, b"q")
            os.close(self._request_w)
            if self._calls.acquire(blocking=False):  # no call waits for a reply: its pipe can go
                self._reply_closed = True
                os.close(self._reply_r)
                self._calls.release()
