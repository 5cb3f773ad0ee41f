"""The CW-ODMR acquisition engine: plain Python, emits events, knows no Qt.

It takes a sweep plan and instrument objects, and for every frequency step of every sweep takes the plan's
on/off frame pairs, accumulates on and off sums per step and emits events (``events.py``): the one bus of an
acquisition. Subscribers are called in this thread, in order, and the engine goes on only once each has
returned: the session writer (``app.core.session_subscriber``, subscribed first) has flushed a step before the
next one begins, and an exception in any subscriber stops the sweep as a failure. The engine knows nothing of
files. It can be paused, resumed and aborted between frames; on every exit path (end, abort, failure,
Ctrl-C/termination signal) the RF output goes off and the shutter closes, then the stop event goes out.

Instruments the engine uses (the interfaces in instruments/camera, instruments/rf, instruments/shutter):
rf.set_power_dbm, rf.set_frequency_hz, rf.set_output(bool) (each returns once the generator has accepted the
setting), rf.ensure_output_off() on the way out;
shutter.set_open(bool); camera.set_exposure(s), camera.grab(n, frame_timeout=s) -> n uint16 frames
(pylablib), camera.supports_rf_gating / camera.set_rf_gating(bool) (the camera's trigger output gating an RF
switch: the even frames of an acquisition see the RF, the odd ones do not; the "alternating" scheme).
"""

import threading
import time

import numpy as np

from analysis.physics import spin_contrast

from .events import StepDone, SweepDone, SweepFailed, SweepFinished, SweepStarted
from .plan import SweepPlanError
from .timing import TimeLedger

_ALTERNATING_CHUNK_PAIRS = 8  # frames grabbed at once in alternating mode: the granularity of pause/abort
_DARK_FRAMES = 8  # shutter closed before the sweep: the camera's bias and dark level, subtracted from both sums


class SweepAborted(Exception):
    """Raised inside the engine's loop when abort() was called; turns into a SweepFinished("aborted")."""


class SweepEngine:
    def __init__(self, plan, camera, rf, shutter, listeners=(), rf_settle_s=0.0, frame_timeout_s=5.0):
        """listeners: the subscribers to the events, called in this order (the session writer first, so that
        the others hear of a step only once it is in the file)."""
        self.plan = plan
        self.camera = camera
        self.rf = rf
        self.shutter = shutter
        self.rf_settle_s = rf_settle_s
        self.frame_timeout_s = frame_timeout_s
        self._listeners = list(listeners)
        self._run_gate = threading.Event()
        self._run_gate.set()
        self._abort = threading.Event()
        self._abort_reason = ""
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
        """Every subscriber in turn, in this thread; an exception stops at that subscriber and fails the sweep.
        A subscriber's ``ledger_category`` (e.g. the session writer's "writing") books its time in the ledger."""
        for fn in list(self._listeners):
            self._deliver(fn, event)

    def _deliver(self, fn, event):
        category = getattr(fn, "ledger_category", None)
        if category is None:
            fn(event)
            return
        with self.timing.measure(category):
            fn(event)

    def _emit_stop(self, event, exc):
        """The stop of a sweep that ``exc`` ended: every subscriber hears it even if one fails (the session
        writer must record the status whatever the views do); their failures become notes on ``exc``."""
        for fn in list(self._listeners):
            try:
                self._deliver(fn, event)
            except Exception as secondary:  # noqa: BLE001 - the others must still hear it; exc is what to report
                exc.add_note(f"{_name_of(fn)} could not take the end of the sweep: "
                             f"{type(secondary).__name__}: {secondary}")

    # -- control (any thread) ----------------------------------------------------------------------------------
    def pause(self):
        if self.status == "running":
            self._run_gate.clear()
            self.status = "paused"

    def resume(self):
        if self.status == "paused":
            self.status = "running"
            self._run_gate.set()

    def abort(self, reason=""):
        """Stop between frames; ``reason`` (e.g. "SIGTERM") goes with the stop event into the file's status."""
        self._abort_reason = self._abort_reason or str(reason)
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
        """The camera's ``n`` frames as it returned them (a sequence of 2-D arrays: not stacked into one array,
        which would copy every frame once more only to be summed)."""
        with self.timing.measure("camera"):
            frames = self.camera.grab(n, frame_timeout=self.frame_timeout_s)
        if len(frames) != n:
            raise RuntimeError(f"the camera returned {len(frames)} frames where {n} were asked for; "
                               "check the camera connection and its frame timeout.")
        return frames

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
                for on, off in zip(frames[0::2], frames[1::2], strict=True):  # even frames see the RF, odd ones do not
                    on_sum += on
                    off_sum += off
            left -= chunk

    def _prepare(self):
        plan = self.plan
        alternating = plan.scheme == "alternating"
        if alternating and not getattr(self.camera, "supports_rf_gating", False):
            raise SweepPlanError("the alternating on/off scheme needs a camera whose trigger output gates the RF "
                                 "switch, and this camera does not support it; use scheme 'software'.")
        with self.timing.measure("camera"):
            self.camera.set_exposure(plan.exposure_s)
            if getattr(self.camera, "supports_rf_gating", False):
                self.camera.set_rf_gating(alternating)
        with self.timing.measure("shutter"):
            self.shutter.set_open(False)
        dark = np.asarray(self._grab(_DARK_FRAMES))
        self.dark_frame = dark.mean(axis=0, dtype=np.float64).astype(np.float32)
        shape = self.dark_frame.shape
        frames_per_sum = int(plan.pairs_array.max()) * plan.n_sweeps
        dtype = np.uint32 if frames_per_sum * 65535 < 2**32 else np.uint64
        self.on_sums = np.zeros((plan.n_steps, *shape), dtype=dtype)
        self.off_sums = np.zeros((plan.n_steps, *shape), dtype=dtype)
        # before the RF and the light: a session file that cannot be created stops the sweep here
        self._emit(SweepStarted(plan, shape, self.dark_frame))
        with self.timing.measure("rf"):
            self.rf.set_output(False)
            self.rf.set_power_dbm(plan.rf_power_dbm)
        with self.timing.measure("shutter"):
            self.shutter.set_open(True)

    def _safe_off(self):
        """RF off and shutter closed, each tried even if the other fails; the first error is re-raised. The RF
        goes off through ``ensure_output_off`` (the interface's safety call: it reconnects once if the
        connection is gone), so a sweep that failed on a dropped connection does not leave the output on."""
        first = None
        for action in (self.rf.ensure_output_off, lambda: self.shutter.set_open(False)):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - every instrument must be made safe before reporting
                first = first or exc
        if first is not None:
            raise first

    def run(self):
        """Run the whole plan in this thread. Returns the final status."""
        self.status = "running"
        try:
            self._prepare()
            self._sweeps()
            end = "finished"
        except SweepAborted:
            end = "aborted"
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP via instruments.shutdown: safe, then re-raise
            self._stop_safely("aborted", exc)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is reported as an event after making things safe
            return self._fail(exc)
        try:
            self._safe_off()
            self.status = end
            self._emit(SweepFinished(end, self.timing.report(), self._abort_reason if end == "aborted" else ""))
        except Exception as exc:  # noqa: BLE001 - an instrument, or a subscriber (the file) that could not close
            return self._fail(exc)
        return self.status

    def _sweeps(self):
        plan = self.plan
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
                pairs = plan.pairs_of_step(step_index)
                on_sweep = np.zeros(self.on_sums.shape[1:], dtype=self.on_sums.dtype)
                off_sweep = np.zeros_like(on_sweep)
                if plan.scheme == "software":
                    self._pairs_software(pairs, on_sweep, off_sweep)
                else:
                    self._pairs_alternating(pairs, on_sweep, off_sweep)
                t_end = time.time()
                with self.timing.measure("processing"):
                    self.on_sums[step_index] += on_sweep
                    self.off_sums[step_index] += off_sweep
                    self.n_pairs[step_index] += pairs
                    contrast = spin_contrast(self.on_sums[step_index], self.off_sums[step_index],
                                             self.n_pairs[step_index], self.dark_frame, dtype=np.float32)
                steps_done += 1
                # the writer (first subscriber) flushes the step before this returns, and so before the next step
                self._emit(StepDone(step_index, sweep_index, freq, contrast, int(self.n_pairs[step_index]),
                                    steps_done, plan.n_steps * plan.n_sweeps, on_sweep, off_sweep, pairs, t_start,
                                    t_end))
            self._emit(SweepDone(sweep_index))

    def _fail(self, exc):
        """RF off and shutter closed (whatever fails there, ``exc`` is the failure), then the stop event."""
        try:
            self._safe_off()
        except Exception:  # noqa: BLE001 - the original failure is the one to report
            pass
        self.status = "failed"
        self._emit_stop(SweepFailed(f"{type(exc).__name__}: {exc}", exc, self.timing.report()), exc)
        return self.status

    def _stop_safely(self, status, exc):
        """RF off, shutter closed, then the stop event with ``status`` and the interruption as its reason (the
        session file keeps every completed step); failures of these are noted on ``exc`` (the reason the run
        stops), which the caller re-raises."""
        self.status = status
        try:
            self._safe_off()
        except Exception as secondary:  # noqa: BLE001 - tell the subscribers; the interruption is what to report
            exc.add_note(f"while stopping: {type(secondary).__name__}: {secondary}")
        self._emit_stop(SweepFinished(status, self.timing.report(), f"{type(exc).__name__}: {exc}"), exc)

    def spin_contrast_cube(self):
        """(n_steps, rows, cols) float32 on/off ratio of every step so far (NaN where no pairs yet)."""
        cube = np.empty(self.on_sums.shape, dtype=np.float32)
        for k in range(cube.shape[0]):  # step by step: no float64 copy of the whole cube
            cube[k] = spin_contrast(self.on_sums[k], self.off_sums[k], self.n_pairs[k], self.dark_frame,
                                    dtype=np.float32)
        return cube


def _name_of(subscriber):
    return getattr(subscriber, "__qualname__", None) or type(subscriber).__name__
