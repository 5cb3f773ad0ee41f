"""Live fitting during acquisition, throttled so acquisition never waits for it.

The acquisition thread calls ``request(job)`` (cheap: it only records the newest job and wakes the worker);
a worker thread runs the newest job when it is free, dropping any older ones it never got to. The GUI pulls
``latest()`` on a timer. The fit itself (numba, nogil) releases the GIL, so acquisition keeps running.
"""

import threading
import time


class LiveFitter:
    """Runs ``fit(*job)`` on the newest requested job in a worker thread; keeps only the latest result."""

    def __init__(self, fit, on_result=None, on_error=None):
        self._fit = fit
        self._on_result = on_result
        self._on_error = on_error
        self._cond = threading.Condition()
        self._pending = None
        self._latest = None
        self._closed = False
        self.fits_done = 0
        self.jobs_dropped = 0
        self.last_error = None
        self.last_fit_s = None
        self._busy = False
        self._thread = threading.Thread(target=self._work, name="nvscope-live-fit", daemon=True)
        self._thread.start()

    def request(self, *job):
        """Queue a fit of ``job`` (arguments for ``fit``); a job not yet started is replaced, never queued up.

        Arguments may be callables taking no arguments (e.g. ``engine.spin_contrast_cube``): they are called in
        the worker thread, so building the input costs the acquisition thread nothing.
        """
        with self._cond:
            if self._pending is not None:
                self.jobs_dropped += 1
            self._pending = job
            self._cond.notify()

    def latest(self):
        """(job_number, result) of the newest finished fit, or None."""
        with self._cond:
            return self._latest

    @property
    def busy(self):
        with self._cond:
            return self._busy or self._pending is not None

    def wait_idle(self, timeout=None):
        """Block until no fit is running or pending (for the CLI and tests; never call it from a GUI thread)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._busy or self._pending is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout=5.0):
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
        self._thread.join(timeout)

    def _work(self):
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job, self._pending, self._busy = self._pending, None, True
            try:
                t0 = time.perf_counter()
                args = [a() if callable(a) else a for a in job]
                result = self._fit(*args)
                elapsed = time.perf_counter() - t0
                with self._cond:
                    self.fits_done += 1
                    self.last_fit_s = elapsed
                    self._latest = (self.fits_done, result)
                if self._on_result is not None:
                    self._on_result(result)
            except Exception as exc:  # noqa: BLE001 - a failed live fit must not stop acquisition; it is reported
                self.last_error = exc
                if self._on_error is not None:
                    self._on_error(exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
