"""The live fit in a process of its own (``app.core.fit_worker``), so that its numpy stages never hold the window's
GIL: the window's GUI thread then waits only for a CPU, not for the fit (``bench_gui_responsiveness``).

``FitProcess`` is what ``AnalysisSeams.live_fits`` holds for the window (``default_seams``); the acquisition
controller's live fitter thread calls ``fit_live`` (the sweep's cube: only the steps changed since the last call are
sent) or ``fit_cube`` (a cube of its own, e.g. an adaptive sweep's passes combined) and waits, with the GIL
released, for the ``FieldMaps``. A process that has died is started again by the next fit, which sends it the whole
sweep so far: a killed live-fit process costs one live map, never a measurement (those are in the session file).
"""

import threading

import numpy as np

from app.core.field_maps import maps_from_message
from app.core.worker_process import WorkerProcess


class FitProcessError(RuntimeError):
    """The live-fit process is gone (killed, crashed); the next fit starts a new one."""


class FitProcess(WorkerProcess):
    module = "app.core.fit_worker"
    errors = {"ValueError": ValueError, "FloatingPointError": FloatingPointError, "MemoryError": MemoryError}
    gone = FitProcessError

    def __init__(self):
        super().__init__()
        self._sync = threading.Lock()
        self._holds = None
        """(the child's start number, the sweep's cube) that the child holds a copy of, or None."""
        self._sent = None
        """Per step, the version of it the child holds (0: none)."""

    def _popen_options(self):
        # a process group of its own (a Ctrl-C in the terminal reaches the app, which ends this process), but the
        # app's session: Linux shares the CPU between sessions first (autogroups), and in a session of its own the
        # fit took a share away from the window's threads (more live fits, a longer 99th percentile stall)
        return {"process_group": 0}

    def gone_message(self, code, restart):
        return (f"the live-fit process ended (exit code {code}); the next live fit starts a new one. The sweep "
                "goes on, and every completed step is in the session file.")

    def warm_up(self, model):
        self.request({"op": "warm_up", "model": model})

    def fit_live(self, cube, versions, n_used, freq_hz, transitions, *, model, d_hz, pixel_size_m):
        """Fit the first ``n_used`` steps of the sweep's ``cube`` (n_steps, rows, cols) -> ``FieldMaps``.

        ``versions``: per step, a number that changes whenever the step's image does (0: not measured); the
        steps whose version the child has not seen are sent first. A new ``cube`` object is a new sweep."""
        with self._sync:
            try:
                return self._fit_live(cube, versions, n_used, freq_hz, transitions, model, d_hz, pixel_size_m)
            except FitProcessError:  # gone since the last fit: a new child, sent the whole sweep so far
                return self._fit_live(cube, versions, n_used, freq_hz, transitions, model, d_hz, pixel_size_m)

    def _fit_live(self, cube, versions, n_used, freq_hz, transitions, model, d_hz, pixel_size_m):
        self.start()
        if self._holds is None or self._holds[0] != self.starts or self._holds[1] is not cube:
            self._holds = None
            self.request({"op": "setup", "n_steps": cube.shape[0], "shape": list(cube.shape[1:])}, restart=False)
            self._holds, self._sent = (self.starts, cube), np.zeros(cube.shape[0], np.int64)
        versions = np.asarray(versions)
        changed = np.flatnonzero(versions != self._sent)
        if changed.size:
            # copied now (numpy, a few hundred kB per step): the sweep's thread may rewrite a step meanwhile;
            # then the child gets either value of each pixel, and the step's new version is sent next time
            self.request({"op": "steps", "index": changed.tolist(), "images": cube[changed]}, restart=False)
            self._sent[changed] = versions[changed]
        reply = self.request({"op": "fit", "n_used": int(n_used), "freq_hz": np.asarray(freq_hz, np.float64),
                              "transitions": int(transitions), "model": model, "d_hz": float(d_hz),
                              "pixel_size_m": _number(pixel_size_m)}, restart=False)
        return maps_from_message(reply)

    def fit_cube(self, cube, freq_hz, transitions, *, model, d_hz, pixel_size_m, sigma=None):
        """Fit ``cube`` (rows, cols, n_freq) as given (sent whole) -> ``FieldMaps``."""
        reply = self.request({"op": "fit", "cube": np.asarray(cube, np.float32),
                              "freq_hz": np.asarray(freq_hz, np.float64), "transitions": int(transitions),
                              "model": model, "d_hz": float(d_hz), "pixel_size_m": _number(pixel_size_m),
                              "sigma": None if sigma is None else np.asarray(sigma)})
        return maps_from_message(reply)


def _number(value):
    return None if value is None else float(value)
