"""Owns one acquisition: the sweep engine (its own thread), the live fitter (its own thread, which runs the fit
itself or has the live-fit process run it: ``AnalysisSeams.live_fits``) and what the views pull. Qt-free: the
engine's listener only stores the newest data under a lock; the GUI's timer calls ``snapshot()`` and
``spectrum(row, col)``, which copy nothing large and never wait on an instrument or a fit.
"""

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from analysis import physics
from analysis.live_fit import LiveFitter
from analysis.pipeline import MIN_STEPS_TO_FIT
from app.core.analysis_seams import AnalysisSeams
from app.core.field_maps import FieldMaps, fit_field_maps, leave_a_core_free, warm_up_fit
from app.core.fit_curve import fit_curve
from app.core.fit_process import FitProcessError
from app.core.frame_tap import FrameTap
from app.core.session_subscriber import SessionSubscriber
from instruments.sweep import StepDone, SweepEngine, SweepFailed, SweepFinished, SweepStarted

log = logging.getLogger("nvscope.app")

_WARM_UP = ("warm-up",)
_HERE = object()  # what _in_fit_process returns where the fit is to run in this process


@dataclass(frozen=True)
class _LiveJob:
    """What the live fitter fits: the first ``n_used`` steps of the sweep's ``cube`` (n_steps, rows, cols), with
    ``versions`` (per step, how often it was measured: the live-fit process is sent the steps that changed)."""

    cube: np.ndarray
    versions: np.ndarray
    n_used: int
    freq_hz: np.ndarray
    transitions: int


@dataclass(frozen=True)
class AcquisitionSnapshot:
    status: str
    """"idle", "running", "paused", "finished", "aborted" or "failed"."""
    steps_done: int = 0
    steps_total: int = 0
    step_index: int = -1
    sweep_index: int = -1
    freq_hz: float = float("nan")
    elapsed_s: float = 0.0
    time_left_s: float = float("nan")
    contrast_version: int = 0
    contrast_image: np.ndarray = None
    camera_version: int = 0
    camera_frame: np.ndarray = None
    field_version: int = 0
    field: FieldMaps = None
    failure: str = None
    failure_error: BaseException = None
    """The exception that stopped the sweep (its type says what failed: ``SessionError`` for the file)."""
    fit_error: str = None
    stage: str = ""
    """What an adaptive sweep is doing ("first pass", "planning", "adaptive pass", "combined fit"); "" else."""


class AcquisitionController:
    """``start(plan, camera, rf, shutter)`` runs a sweep; ``pause``/``resume``/``stop``; ``close`` on exit.

    The sweep engine's events are the one bus of an acquisition, with its subscribers in this order: the session
    writer (``SessionSubscriber`` over ``session_factory``: each step is in the file before anyone else hears of
    it), this controller's listener (the views' buffer; it asks the live fitter for fits), then any
    ``listeners`` given to ``start`` (the command line's progress bar). The GUI and ``nvscope acquire`` run this
    same object."""

    def __init__(self, seams=None, fit_interval_s=0.5, engine_factory=SweepEngine):
        self.seams = seams if seams is not None else AnalysisSeams()
        self.fit_interval_s = fit_interval_s
        self._engine_factory = engine_factory
        self._lock = threading.Lock()
        self.engine = None
        self.plan = None
        self._tap = None
        self._cube = None
        self._step_means = None
        self._versions = None
        self._window_sizes = ()
        self._status = "idle"
        self._progress = (0, 0, -1, -1, float("nan"))
        self._contrast = (0, None)
        self._field = (0, None)
        self._failure = None
        self._fit_error = None
        self._t_start = None
        self._t_end = None
        self._paused_s = 0.0
        self._paused_at = None
        self._last_fit_request = 0.0
        self._fits_here = False
        """True once the live-fit process could not be started: the live fit then runs in the fitter's thread."""
        self._fit_every_steps = None
        self.pixel_size_m = None
        self.d_hz = physics.ZERO_FIELD_SPLITTING_HZ
        self._published = self._state()
        self.fitter = LiveFitter(self._fit, on_result=self._on_fit, on_error=self._on_fit_error)

    def _state(self):
        return (self._status, self._progress, self._contrast, self._field, self._failure, self._fit_error,
                self._t_start, self._t_end, self._paused_s, self._paused_at)

    @contextmanager
    def _writing(self):
        """Hold the lock to change the state ``snapshot()`` reports, then publish it as one immutable tuple: the
        GUI thread reads that without the lock, so it never waits for a thread that holds the lock and has lost
        the CPU to other work (the live fit, the sweep's thread on a busy machine)."""
        with self._lock:
            yield
            self._published = self._state()

    # -- control (GUI thread) ------------------------------------------------------------------------------
    @property
    def running(self):
        return self._status in ("running", "paused")

    def start(self, plan, camera, rf, shutter, window_sizes=None, session_factory=None, pixel_size_m=None,
              d_hz=None, listeners=(), frame_timeout_s=5.0, fit_every_steps=None):
        """Start ``plan`` in the engine's thread. ``window_sizes``: steps per frequency window, e.g. (51, 51)
        for f- and f+ (decides one- or two-transition fits); ``session_factory(frame_shape, dark_frame_adu)``
        -> a session writer, or None to acquire without a file (it becomes the first subscriber, a
        ``SessionSubscriber``); ``pixel_size_m``
        (m) for the background removal; ``d_hz``: the zero-field splitting a one-transition fit assumes;
        ``listeners``: more subscribers to the engine's events; ``fit_every_steps``: ask for a live fit every N
        steps instead of every ``fit_interval_s`` seconds (0: no live fit until the sweep ends)."""
        if self.running:
            raise RuntimeError("a sweep is already running; stop it before starting another.")
        self._launch(plan, camera, rf, shutter, window_sizes, session_factory, pixel_size_m, d_hz, listeners,
                     frame_timeout_s, fit_every_steps)

    def _launch(self, plan, camera, rf, shutter, window_sizes, session_factory, pixel_size_m, d_hz, listeners,
                frame_timeout_s, fit_every_steps):
        """Start the engine on ``plan`` (``start`` without its check: an adaptive run starts its passes here)."""
        self._detach()
        self.plan = plan
        self.pixel_size_m = pixel_size_m
        self.d_hz = float(d_hz) if d_hz is not None else physics.ZERO_FIELD_SPLITTING_HZ
        self._window_sizes = tuple(window_sizes or (plan.n_steps,))
        self._fit_every_steps = fit_every_steps
        self._tap = FrameTap(camera)
        with self._writing():
            self._cube = None
            self._step_means = np.full(plan.n_steps, np.nan)
            self._versions = np.zeros(plan.n_steps, np.int64)
            self._status = "running"
            self._progress = (0, plan.n_steps * plan.n_sweeps, -1, -1, float("nan"))
            self._contrast = (self._contrast[0], None)
            self._field = (self._field[0] + 1, None)
            self._failure = self._fit_error = None
            self._t_start, self._t_end, self._paused_s, self._paused_at = time.monotonic(), None, 0.0, None
        writer = [SessionSubscriber(session_factory)] if session_factory is not None else []
        self.engine = self._engine_factory(plan, self._tap, rf, shutter,
                                           listeners=[*writer, self._on_event, *listeners],
                                           frame_timeout_s=frame_timeout_s)
        pairs = plan.pairs_array
        log.info("sweep started: %d steps x %d sweeps, %s pairs/step", plan.n_steps, plan.n_sweeps,
                 f"{pairs.min()}" if pairs.min() == pairs.max() else f"{pairs.min()}-{pairs.max()} (per step)")
        self.engine.start()

    def pause(self):
        if self.engine is not None and self._status == "running":
            self.engine.pause()
            with self._writing():
                self._status, self._paused_at = "paused", time.monotonic()

    def resume(self):
        if self.engine is not None and self._status == "paused":
            with self._writing():
                self._paused_s += time.monotonic() - self._paused_at
                self._status, self._paused_at = "running", None
            self.engine.resume()

    def stop(self, reason=""):
        """Abort between frames; the engine switches the RF off and closes the shutter. ``reason`` (e.g. the
        signal that stopped ``nvscope acquire``) is recorded with the file's "aborted" status."""
        if self.engine is not None:
            self.engine.abort(reason)

    def wait(self, timeout=None):
        return self.engine.wait(timeout) if self.engine is not None else self._status

    def close(self, timeout=10.0, reason=""):
        """Stop the sweep (abort + wait), the live fitter and the live-fit process. ``reason`` (e.g. the signal
        that closed the window) is recorded with the file's "aborted" status, as ``stop``'s."""
        if self.engine is not None:
            self.engine.abort(reason)
            self.engine.wait(timeout)
        self._detach()
        self.fitter.close()
        if self.seams.live_fits is not None:
            self.seams.live_fits.close()

    def _detach(self):
        if self.engine is not None:
            self.engine.remove_listener(self._on_event)
            self.engine = None

    # -- the engine's thread ----------------------------------------------------------------------------------
    def _on_event(self, event):
        if isinstance(event, StepDone):
            finite = event.spin_contrast[np.isfinite(event.spin_contrast)]
            mean = float(finite.mean()) if finite.size else np.nan  # for deepest_step, here and not in the GUI
            with self._writing():
                if self._cube is None:
                    self._cube = np.full((self.plan.n_steps, *event.spin_contrast.shape), np.nan, np.float32)
                self._cube[event.step_index] = event.spin_contrast
                self._step_means[event.step_index] = mean
                self._versions[event.step_index] += 1
                self._progress = (event.steps_done, event.steps_total, event.step_index, event.sweep_index,
                                  event.freq_hz)
                self._contrast = (self._contrast[0] + 1, event.spin_contrast)
            if self._fit_due(event.steps_done):
                self.fitter.request(self._fit_inputs)
        elif isinstance(event, SweepStarted):
            log.info("sweep running on %s frames", event.frame_shape)
        elif isinstance(event, SweepFinished):
            self._end(event.status)
            self.fitter.request(self._fit_inputs)  # the fit of all the data, whatever the throttle did
            log.info("sweep %s; time ledger %s", event.status, _fmt_timing(event.timing))
        elif isinstance(event, SweepFailed):
            with self._writing():
                self._failure = (event.reason, event.error)
            self._end("failed")
            self.fitter.request(self._fit_inputs)  # the completed steps are worth a fit (and are in the file)
            log.error("sweep failed: %s", event.reason, exc_info=event.error)

    def _fit_due(self, steps_done):
        if self._fit_every_steps is not None:
            return self._fit_every_steps > 0 and steps_done % self._fit_every_steps == 0
        now = time.monotonic()
        # at most about a third of the time fitting: the fitter shares the CPU with acquisition and the GUI
        interval = max(self.fit_interval_s, 2.0 * (self.fitter.last_fit_s or 0.0))
        if now - self._last_fit_request < interval:
            return False
        self._last_fit_request = now
        return True

    def _end(self, status):
        with self._writing():
            if self._paused_at is not None:
                self._paused_s += time.monotonic() - self._paused_at
                self._paused_at = None
            self._status, self._t_end = status, time.monotonic()

    # -- the live fitter's thread ---------------------------------------------------------------------------
    def _fit_inputs(self):
        """The live fit's ``_LiveJob``: the acquired steps of the cube (steps are taken in order) and the
        transitions (two once every step of a two-window sweep is in), or None with too few steps."""
        with self._lock:
            if self._cube is None:
                return None
            n_acquired = min(self._progress[0], len(self._cube))
            first = self._window_sizes[0]
            if n_acquired >= len(self._cube) and len(self._window_sizes) == 2:
                n_used, transitions = len(self._cube), 2
            else:
                n_used, transitions = min(n_acquired, first), 1
            if n_used < MIN_STEPS_TO_FIT:
                return None
            return _LiveJob(self._cube, self._versions.copy(), n_used, self.plan.frequencies_hz[:n_used],
                            transitions)

    def warm_up(self):
        """Run the fit once on a tiny synthetic cube in the fitter's thread (or the live-fit process), so that
        loading (or compiling) its jitted code, which holds the GIL, happens before a sweep and not in the middle
        of one."""
        self.fitter.request(_WARM_UP)

    def _fit(self, job):
        if job is None:
            return None
        if job is _WARM_UP:
            live = None if self._fits_here else self.seams.live_fits
            try:
                if live is not None:
                    live.warm_up(self.seams.model)
                else:
                    leave_a_core_free()
                    warm_up_fit(self.seams)
            except Exception as exc:  # noqa: BLE001 - a warm-up is an optimisation; the real fit reports errors
                log.info("fit warm-up did not run through: %s", exc)
            return None
        settings = dict(d_hz=self.d_hz, pixel_size_m=self.pixel_size_m)
        maps = self._in_fit_process("fit_live", job.cube, job.versions, job.n_used, job.freq_hz, job.transitions,
                                    **settings)
        if maps is not _HERE:
            return maps
        # copied without the lock: on a busy machine the kernel (Linux) can leave this thread without the
        # CPU for a long time while it holds a lock that others wait for. Steps below n_used are complete; the
        # engine's thread only rewrites one again in a later sweep, and then each pixel is either the step's
        # previous average or its new one, both measurements (the fit after the sweep sees them all settled).
        cube_t = np.empty((job.cube.shape[1], job.cube.shape[2], job.n_used), dtype=np.float32)
        for k in range(job.n_used):
            cube_t[:, :, k] = job.cube[k]
        leave_a_core_free()
        return fit_field_maps(self.seams, cube_t, job.freq_hz, job.transitions, **settings)

    def fit_cube(self, cube, freq_hz, transitions, sigma=None):
        """Fit ``cube`` (rows, cols, n_freq) as the live fit does (in the calling thread, or the live-fit process)
        -> ``FieldMaps``; ``sigma``: per-point standard errors (an adaptive sweep's passes combined)."""
        settings = dict(d_hz=self.d_hz, pixel_size_m=self.pixel_size_m, sigma=sigma)
        maps = self._in_fit_process("fit_cube", cube, freq_hz, transitions, **settings)
        if maps is not _HERE:
            return maps
        leave_a_core_free()
        return fit_field_maps(self.seams, cube, freq_hz, transitions, **settings)

    def _in_fit_process(self, method, *args, **kwargs):
        """``live_fits.<method>(*args, model=, **kwargs)`` in the live-fit process, or ``_HERE`` where there is
        none. A process that cannot run (it ended again as soon as it was restarted, or did not start at all)
        leaves the fit to this process from then on, as ``nvscope acquire`` fits, rather than a new process at
        every fit."""
        live = None if self._fits_here else self.seams.live_fits
        if live is None:
            return _HERE
        try:
            return getattr(live, method)(*args, model=self.seams.model, **kwargs)
        except (FitProcessError, OSError) as exc:
            self._fits_here = True
            log.warning("the live-fit process cannot run (%s); live fits go on in the window's process", exc)
            return _HERE

    def _on_fit(self, maps):
        if maps is None:
            return
        with self._writing():
            self._field = (self._field[0] + 1, maps)
            self._fit_error = None

    def _on_fit_error(self, exc):
        with self._writing():
            self._fit_error = f"{type(exc).__name__}: {exc}"
        log.warning("live fit failed: %s", exc, exc_info=exc)

    # -- what the views pull (GUI thread) ----------------------------------------------------------------------
    def snapshot(self):
        """The state as of the last change (published by ``_writing``): read without the lock, never waits."""
        (status, progress, (contrast_version, contrast), (field_version, field), failure, fit_error, t_start, t_end,
         paused_s, paused_at) = self._published
        steps_done, steps_total, step_index, sweep_index, freq_hz = progress
        now = t_end if t_end is not None else time.monotonic()
        paused = paused_s + ((now - paused_at) if paused_at is not None else 0.0)
        elapsed = (now - t_start - paused) if t_start is not None else 0.0
        left = float("nan")
        if status in ("running", "paused") and steps_done > 0:
            left = elapsed / steps_done * (steps_total - steps_done)
        elif status == "finished":
            left = 0.0
        failure, failure_error = failure or (None, None)
        camera_version, frame = self._tap.latest() if self._tap is not None else (0, None)
        return AcquisitionSnapshot(status, steps_done, steps_total, step_index, sweep_index, freq_hz, elapsed, left,
                                   contrast_version, contrast, camera_version, frame, field_version, field, failure,
                                   failure_error, fit_error)

    def contrast_cube(self):
        """A copy of the (n_steps, rows, cols) spin-contrast cube so far (NaN where not measured), or None."""
        with self._lock:
            return None if self._cube is None else self._cube.copy()

    def field_maps(self):
        return self._field[1]  # (version, maps) is replaced whole: one read, no lock

    def spectrum(self, row, col):
        """(freq_hz, PL on/off of pixel (row, col) per step (NaN where not measured yet)) or None."""
        cube = self._cube  # no lock (the GUI thread asks): each value read is NaN or a step's measured value
        if cube is None or not (0 <= row < cube.shape[1] and 0 <= col < cube.shape[2]):
            return None
        return self.plan.frequencies_hz, cube[:, row, col].copy()

    def deepest_step(self):
        """(step index, freq_hz, spin-contrast image) of the step with the deepest mean dip, or None: after a
        sweep this is the contrast image worth looking at (the last step is usually off resonance)."""
        with self._lock:
            if self._cube is None or not np.isfinite(self._step_means).any():
                return None
            k = int(np.nanargmin(self._step_means))
            image = self._cube[k].copy()
        return k, float(self.plan.freq_hz[k]), image

    def plan_marks(self):
        """(freq_hz, pairs) to mark on the spectrum (an adaptive plan), or None."""
        return None

    def fit_curve(self, row, col):
        """(freq_hz, model PL) of the latest fit at pixel (row, col), windows separated by NaN; or None."""
        maps = self.field_maps()
        if maps is None:
            return None
        return fit_curve(maps.fit, row, col, self.plan.frequencies_hz[:maps.n_steps_used], self._window_sizes,
                         self.seams.model)


def _fmt_timing(timing):
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(timing.items()))
