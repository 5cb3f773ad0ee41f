"""Blocking calls (connecting an instrument, analysing a cell) run in a worker thread; their results are
handed back on the thread that calls ``poll()`` (the GUI's timer), so callbacks may touch widgets. Qt-free."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("nvscope.app")


class TaskRunner:
    def __init__(self, max_workers=2, name="nvscope-task"):
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._pending = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn, on_done=None, on_error=None):
        """Run ``fn()`` in a worker; later ``poll()`` calls ``on_done(result)`` or ``on_error(exc)``."""
        if self._closed:
            raise RuntimeError("the task runner is closed; the window is shutting down.")
        future = self._executor.submit(fn)
        with self._lock:
            self._pending.append((future, on_done, on_error))
        return future

    @property
    def busy(self):
        with self._lock:
            return bool(self._pending)

    def poll(self):
        """Deliver the results of finished calls (never waits)."""
        with self._lock:
            done = [p for p in self._pending if p[0].done()]
            self._pending = [p for p in self._pending if not p[0].done()]
        for future, on_done, on_error in done:
            exc = future.exception()
            if exc is not None:
                if on_error is not None:
                    on_error(exc)
                else:
                    log.error("background task failed: %s", exc, exc_info=exc)
            elif on_done is not None:
                on_done(future.result())

    def close(self, wait=True):
        self._closed = True
        self._executor.shutdown(wait=wait, cancel_futures=True)
