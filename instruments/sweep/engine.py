"""The CW-ODMR acquisition engine: plain Python, emits events, knows no Qt.

It takes a sweep plan and instrument objects, and for every frequency step of every sweep takes the plan's
on/off frame pairs, accumulates on and off sums per step, writes and flushes the step to the session (when a
writer is given) and emits events. It can be paused, resumed and aborted between frames; on every exit path
(end, abort, failure) the RF output goes off and the shutter closes.

Instruments the engine uses (the interfaces in instruments/camera, instruments/rf, instruments/shutter):
rf.set_power_dbm, rf.set_frequency_hz, rf.set_output(bool); shutter.set_open(bool);
camera.set_exposure(s), camera.grab(n) -> (n, rows, cols) uint16, camera.set_rf_alternation(bool) (the
camera's trigger output gating an RF switch, for the "alternating" scheme).
"""

import threading
import time

import numpy as np

from .events import StepDone, SweepDone, SweepFailed, SweepFinished, SweepStarted
from .timing import TimeLedger

_ALTERNATING_CHUNK_PAIRS = 8  # frames grabbed at once in alternating mode: the granularity of pause/abort
_DARK_FRAMES = 8  # shutter closed before the sweep: the camera's bias and dark level, subtracted from both sums


class SweepAborted(Exception):
    """Raised inside the engine's loop when abort() was called; turns into a SweepFinished("aborted")."""


class SweepEngine:
    def __init__(self, plan, camera, rf, shutter, writer=None, listeners=(), rf_settle_s=0.0):
        self.plan = plan
        self.camera = camera
        self.rf = rf
        self.shutter = shutter
        self.writer = writer
        self.rf_settle_s = rf_settle_s
        self._listeners = list(listeners)
        self._run_gate = threading.Event()
        self._run_gate.set()
        self._abort = threading.Event()
        self._thread = None
        self.status = "idle"
        self.timing = TimeLedger()
        self.on_sums = None
        self.off_sums = None
        self.dark_frame = None
        self.n_pairs = np.zeros(plan.n_steps, dtype=np.int64)

    # -- listeners -------------------------------------------------------------------------------------------
    def add_listener(self, fn):
        self._listeners.append(fn)

    def remove_listener(self, fn):
        self._listeners.remove(fn)

    def _emit(self, event):
        for fn in list(self._listeners):
            fn(event)

    # -- control (any thread) ----------------------------------------------------------------------------------
    def pause(self):
        if self.status == "running":
            self._run_gate.clear()
            self.status = "paused"

    def resume(self):
        if self.status == "paused":
            self.status = "running"
            self._run_gate.set()

    def abort(self):
        self._abort.set()
        self._run_gate.set()

    def start(self):
        """Run the sweep in a background thread; returns the thread."""
        self._thread = threading.Thread(target=self.run, name="nvscope-sweep", daemon=True)
        self._thread.start()
        return self._thread

    def wait(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status

    # -- the acquisition -------------------------------------------------------------------------------------
    def _checkpoint(self):
        """Between frames: honour pause and abort."""
        if not self._run_gate.is_set():
            with self.timing.measure("paused"):
                self._run_gate.wait()
        if self._abort.is_set():
            raise SweepAborted()

    def _set_output(self, on):
        with self.timing.measure("rf"):
            self.rf.set_output(on)

    def _grab(self, n):
        with self.timing.measure("camera"):
            return self.camera.grab(n)

    def _pairs_software(self, n_pairs, on_sum, off_sum):
        for _ in range(n_pairs):
            self._checkpoint()
            self._set_output(True)
            on = self._grab(1)
            self._set_output(False)
            off = self._grab(1)
            with self.timing.measure("processing"):
                on_sum += on[0]
                off_sum += off[0]

    def _pairs_alternating(self, n_pairs, on_sum, off_sum):
        left = n_pairs
        while left > 0:
            self._checkpoint()
            chunk = min(left, _ALTERNATING_CHUNK_PAIRS)
            frames = self._grab(2 * chunk)
            with self.timing.measure("processing"):
                on_sum += frames[0::2].sum(axis=0, dtype=on_sum.dtype)
                off_sum += frames[1::2].sum(axis=0, dtype=off_sum.dtype)
            left -= chunk

    def _prepare(self):
        plan = self.plan
        with self.timing.measure("camera"):
            self.camera.set_exposure(plan.exposure_s)
            if hasattr(self.camera, "set_rf_alternation"):
                self.camera.set_rf_alternation(plan.scheme == "alternating")
        with self.timing.measure("shutter"):
            self.shutter.set_open(False)
        dark = self._grab(_DARK_FRAMES)
        self.dark_frame = dark.mean(axis=0, dtype=np.float64).astype(np.float32)
        shape = self.dark_frame.shape
        frames_per_sum = plan.pairs_per_step * plan.n_sweeps
        dtype = np.uint32 if frames_per_sum * 65535 < 2**32 else np.uint64
        self.on_sums = np.zeros((plan.n_steps, *shape), dtype=dtype)
        self.off_sums = np.zeros((plan.n_steps, *shape), dtype=dtype)
        with self.timing.measure("rf"):
            self.rf.set_output(False)
            self.rf.set_power_dbm(plan.rf_power_dbm)
        with self.timing.measure("shutter"):
            self.shutter.set_open(True)
        return shape

    def _safe_off(self):
        """RF off and shutter closed, each tried even if the other fails; the first error is re-raised."""
        first = None
        for action in (lambda: self.rf.set_output(False), lambda: self.shutter.set_open(False)):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - every instrument must be made safe before reporting
                first = first or exc
        if first is not None:
            raise first

    def run(self):
        """Run the whole plan in this thread. Returns the final status."""
        plan = self.plan
        self.status = "running"
        try:
            shape = self._prepare()
            self._emit(SweepStarted(plan, shape))
            steps_done = 0
            for sweep_index in range(plan.n_sweeps):
                for step_index, freq in enumerate(plan.freq_hz):
                    self._checkpoint()
                    t_start = time.time()
                    with self.timing.measure("rf"):
                        self.rf.set_frequency_hz(freq)
                        if plan.scheme == "alternating":
                            self.rf.set_output(True)
                    if self.rf_settle_s:
                        with self.timing.measure("settling"):
                            time.sleep(self.rf_settle_s)
                    on_sum = self.on_sums[step_index]
                    off_sum = self.off_sums[step_index]
                    if plan.scheme == "software":
                        self._pairs_software(plan.pairs_per_step, on_sum, off_sum)
                    else:
                        self._pairs_alternating(plan.pairs_per_step, on_sum, off_sum)
                    self.n_pairs[step_index] += plan.pairs_per_step
                    if self.writer is not None:
                        with self.timing.measure("writing"):
                            self.writer.write_step(step_index, sweep_index, on_sum, off_sum,
                                                   int(self.n_pairs[step_index]), t_start, time.time())
                    steps_done += 1
                    with self.timing.measure("processing"):
                        contrast = spin_contrast(on_sum, off_sum, self.n_pairs[step_index], self.dark_frame)
                    self._emit(StepDone(step_index, sweep_index, freq, contrast, int(self.n_pairs[step_index]),
                                        steps_done, plan.n_steps * plan.n_sweeps))
                self._emit(SweepDone(sweep_index))
            self._safe_off()
            self.status = "finished"
        except SweepAborted:
            self._safe_off()
            self.status = "aborted"
        except Exception as exc:  # noqa: BLE001 - any failure is reported as an event after making things safe
            try:
                self._safe_off()
            except Exception:  # noqa: BLE001 - the original failure is the one to report
                pass
            self.status = "failed"
            self._finish_writer("failed", f"{type(exc).__name__}: {exc}")
            self._emit(SweepFailed(f"{type(exc).__name__}: {exc}", exc, self.timing.report()))
            return self.status
        self._finish_writer(self.status, "")
        self._emit(SweepFinished(self.status, self.timing.report()))
        return self.status

    def _finish_writer(self, status, reason):
        if self.writer is not None:
            self.writer.finish(status=status, reason=reason)

    def spin_contrast_cube(self):
        """(n_steps, rows, cols) float32 on/off ratio of every step so far (NaN where no pairs yet)."""
        cube = np.empty(self.on_sums.shape, dtype=np.float32)
        for k in range(cube.shape[0]):  # step by step: no float64 copy of the whole cube
            cube[k] = spin_contrast(self.on_sums[k], self.off_sums[k], self.n_pairs[k], self.dark_frame)
        return cube


def spin_contrast(on_sum, off_sum, n_pairs, dark_frame=0.0):
    """(on - n dark) / (off - n dark) as float32: the paper's spin-contrast image with the camera's dark level
    (bias) taken out. NaN where no pairs were taken or the off signal is not above the dark level."""
    dark_total = np.asarray(n_pairs, dtype=np.float64) * np.asarray(dark_frame, dtype=np.float64)
    off = off_sum - dark_total
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ((on_sum - dark_total) / off).astype(np.float32)
    out[~(off > 0)] = np.nan
    return out
