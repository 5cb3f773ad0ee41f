"""The adaptive CW-ODMR run: first pass -> fit -> plan -> adaptive pass -> combined fit, for the GUI and the CLI.

``AdaptiveController`` is an ``AcquisitionController`` (same pull interface, same engine, same safety: every pass
is an ordinary sweep whose engine switches the RF off and closes the shutter on every exit and writes each step
as it completes) that can also ``start_adaptive``: a thread of its own runs the passes one after the other. Its
status stays "running" from the first pass's start until the combined fit is in, so the window and the command
line see one acquisition; ``snapshot().stage`` says which part runs. A stop, a failed pass or a plan that cannot
be made ends the run there (the completed steps are in their files; the fit of what was measured is shown).
"""

import logging
import threading
import time
from dataclasses import replace

import numpy as np

from analysis import physics
from analysis.adaptive import combine_passes, plan_adaptive_sweep
from analysis.pipeline import fit_spectra_of
from analysis.session import read_session
from app.core.acquisition_controller import AcquisitionController
from app.core.adaptive_plan import (
    FIRST_PASS_SHARE,
    adaptive_metadata,
    adaptive_pass_plan,
    budget_pairs,
    first_pass_path,
    first_pass_plan,
    planner_window,
    windows_of,
)
from app.core.fit_curve import fit_curve

log = logging.getLogger("nvscope.app")
FIRST, PLANNING, ADAPTIVE, COMBINED = "first pass", "planning", "adaptive pass", "combined fit"


class AdaptiveController(AcquisitionController):
    """``start`` runs one uniform sweep (as ``AcquisitionController``); ``start_adaptive`` runs the two passes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._thread = None
        self._stop_requested = threading.Event()
        self._stop_reason = ""
        self._pass_ended = threading.Event()
        self._pass_status = None
        self._stage = ""
        self.adaptive_plan = None
        """The ``AdaptivePlan`` of the running / last adaptive pass, or None."""
        self.paths = ()
        """The session files of the last adaptive run (first pass, adaptive pass), those that were created."""
        self._combined = None

    # -- control -------------------------------------------------------------------------------------------
    def start(self, *args, **kwargs):
        self.adaptive_plan, self._combined, self._stage, self.paths = None, None, "", ()
        super().start(*args, **kwargs)

    def start_adaptive(self, plan, camera, rf, shutter, *, window_sizes, make_factory=None, out_path=None,
                       first_share=FIRST_PASS_SHARE, previous_path=None, pixel_size_m=None, d_hz=None, listeners=(),
                       frame_timeout_s=5.0, fit_every_steps=None):
        """Run an adaptive sweep worth the uniform ``plan`` (its windows and total pairs) in a thread.

        make_factory(path, plan, freq_windows_hz, extra_metadata) -> the pass's session factory (or None:
        no files); out_path: the adaptive pass's file (the first pass goes to ``first_pass_path(out_path)``);
        first_share: share of the pairs the uniform first pass spends; previous_path: plan from this earlier
        session of the same sample instead (no first pass; all the pairs go to the adaptive pass, which is then
        a measurement of its own). The rest as ``start``."""
        if self.running:
            raise RuntimeError("a sweep is already running; stop it before starting another.")
        windows = windows_of(plan, window_sizes or (plan.n_steps,))
        first = None if previous_path is not None else first_pass_plan(plan, window_sizes or (plan.n_steps,),
                                                                      first_share)
        launch = dict(camera=camera, rf=rf, shutter=shutter, pixel_size_m=pixel_size_m, d_hz=d_hz,
                      listeners=tuple(listeners), frame_timeout_s=frame_timeout_s, fit_every_steps=fit_every_steps)
        self.adaptive_plan, self._combined, self.paths = None, None, ()
        self.d_hz = float(d_hz) if d_hz is not None else physics.ZERO_FIELD_SPLITTING_HZ
        self._stop_requested.clear()
        self._stop_reason = ""
        with self._writing():
            self._status, self._failure, self._stage = "running", None, FIRST if first else PLANNING
        args = (plan, windows, first, make_factory, out_path, first_share, previous_path, launch)
        self._thread = threading.Thread(target=self._run, args=args, name="nvscope-adaptive", daemon=True)
        self._thread.start()

    def pause(self):
        if self._stage in ("", FIRST, ADAPTIVE):  # planning and the combined fit have no engine to pause
            super().pause()

    def stop(self, reason=""):
        self._stop_reason = self._stop_reason or str(reason)
        self._stop_requested.set()
        super().stop(reason)

    def wait(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
            return self._status
        return super().wait(timeout)

    def close(self, timeout=10.0, reason=""):
        self._stop_reason = self._stop_reason or str(reason)
        self._stop_requested.set()
        if self.engine is not None:
            self.engine.abort(reason)
        if self._thread is not None:
            self._thread.join(timeout)
        super().close(timeout, reason)

    @property
    def orchestrating(self):
        return self._thread is not None and self._thread.is_alive()

    # -- the passes (the run's own thread) ---------------------------------------------------------------------
    def _run(self, plan, windows, first, make_factory, out_path, share, previous_path, launch):
        status, passes, budget = "failed", [], budget_pairs(plan)
        try:
            if first is not None:
                first_plan, first_sizes = first
                path = first_pass_path(out_path) if out_path is not None else None
                status = self._pass(first_plan, first_sizes, make_factory, path,
                                    np.split(first_plan.frequencies_hz, np.cumsum(first_sizes)[:-1]), {},
                                    launch)
                passes.append(self._measured())
                if status != "finished" or self._stop_requested.is_set():
                    status = "aborted" if status == "finished" else status  # a stop just as the pass ended
                    return
                fit, previous_freq, previous_pairs = self._fit_pass(passes[0], len(windows)), passes[0][0], passes[0][2]
                budget -= int(first_plan.pairs_array.sum())
            else:
                cube, freq, transitions, sigma = fit_spectra_of(read_session(previous_path))
                fit = self.seams.fit_odmr(cube, freq, model=self.seams.model, transitions=transitions,
                                          d_hz=self.d_hz, **({} if sigma is None else {"sigma": sigma}))
                previous_freq = previous_pairs = None
            self._set_stage(PLANNING)
            adaptive = plan_adaptive_sweep(fit, planner_window(windows), budget, previous_freq_hz=previous_freq,
                                           previous_pairs=previous_pairs)
            self.adaptive_plan = adaptive
            log.info("adaptive plan: %d steps, %d pairs, predicted gain %.2f", adaptive.freq_hz.size,
                     adaptive.total_pairs, adaptive.predicted_gain)
            if self._stop_requested.is_set():
                status = "aborted"
                return
            second, sizes, freq_windows = adaptive_pass_plan(plan, adaptive, windows)
            extra = adaptive_metadata(adaptive, first_pass_path(out_path) if first and out_path else None,
                                      previous_path, share if first else None)
            self._set_stage(ADAPTIVE)
            status = self._pass(second, sizes, make_factory, out_path, freq_windows, extra, launch)
            passes.append(self._measured())
        except Exception as exc:  # noqa: BLE001 - a plan that cannot be made ends the run, said as a failure
            log.error("adaptive sweep stopped: %s", exc, exc_info=exc)
            with self._writing():
                self._failure = self._failure or (f"{type(exc).__name__}: {exc}", exc)
            status = "failed"
        finally:
            self._finish(status, passes, len(windows))

    def _pass(self, plan, sizes, make_factory, path, freq_windows, extra, launch):
        factory = make_factory(path, plan, freq_windows, extra) if make_factory is not None else None
        self._pass_ended.clear()
        self._launch(plan, window_sizes=sizes, session_factory=factory, **launch)
        if path is not None:
            self.paths = (*self.paths, str(path))
        if self._stop_requested.is_set():  # a stop that came while the pass was being set up
            self.engine.abort(self._stop_reason)
        self._pass_ended.wait()
        self.engine.wait()
        return self._pass_status

    def _end(self, status):
        """The engine's end of one pass: the run goes on (or ends) in ``_run``, not here."""
        if self.orchestrating and threading.current_thread() is not self._thread:
            self._pass_status = status
            self._pass_ended.set()
            return
        super()._end(status)

    def _measured(self):
        """(freq_hz, cube (rows, cols, n), pairs) of the steps the pass completed (steps run in order)."""
        with self._lock:
            done = np.arange(self.plan.n_steps) < self._progress[0]
            cube = None if self._cube is None else np.moveaxis(self._cube, 0, -1).astype(np.float64)
        pairs = np.where(done, self.plan.pairs_array, 0)
        return self.plan.frequencies_hz, cube, pairs

    def _fit_pass(self, one_pass, transitions):
        freq, cube, _ = one_pass
        self._set_stage(PLANNING)
        return self.seams.fit_odmr(np.ascontiguousarray(cube), freq, model=self.seams.model,
                                   transitions=transitions, d_hz=self.d_hz)

    def _finish(self, status, passes, transitions):
        """Fit everything measured (both passes, weighted by their pairs) and end the run with ``status``."""
        passes = [p for p in passes if p[1] is not None and p[2].sum() > 0]
        if passes:
            self._set_stage(COMBINED)
            self.fitter.wait_idle(120.0)  # a pass's own live fit must not land after the combined one
            try:
                freq, cube, pairs, sigma = combine_passes(passes)
                maps = self.fit_cube(cube.astype(np.float32), freq, transitions, sigma)
                if maps is not None:
                    window_sizes = (freq.size,) if transitions == 1 else _split_sizes(freq)
                    self._combined = (freq, cube, pairs, window_sizes)
                    self._on_fit(maps)
            except Exception as exc:  # noqa: BLE001 - too few steps to fit, say: the files hold what was measured
                self._on_fit_error(exc)
        self._set_stage("")
        self._thread_status(status)

    def _thread_status(self, status):
        with self._writing():
            self._paused_at = None
            self._status, self._t_end = status, time.monotonic()

    def _set_stage(self, stage):
        with self._lock:
            self._stage = stage

    # -- what the views pull -------------------------------------------------------------------------------
    def snapshot(self):
        return replace(super().snapshot(), stage=self._stage)

    def plan_marks(self):
        """(freq_hz, pairs) of the adaptive plan to mark on the spectrum, or None (a uniform sweep)."""
        plan = self.adaptive_plan
        return None if plan is None else (np.asarray(plan.freq_hz), np.asarray(plan.pairs))

    def spectrum(self, row, col):
        """The combined spectrum once an adaptive run has ended, else the running pass's."""
        combined = self._combined
        if combined is None or not self._status_is_ended():
            return super().spectrum(row, col)
        freq, cube = combined[0], combined[1]
        if not (0 <= row < cube.shape[0] and 0 <= col < cube.shape[1]):
            return None
        return freq, cube[row, col].copy()

    def fit_curve(self, row, col):
        combined, maps = self._combined, self.field_maps()
        if combined is None or maps is None or not self._status_is_ended():
            return super().fit_curve(row, col)
        return fit_curve(maps.fit, row, col, combined[0], combined[3], self.seams.model)

    def _status_is_ended(self):
        return self._status in ("finished", "aborted", "failed")


def _split_sizes(freq):
    """Steps below and above the largest gap of sorted frequencies (f- and f+ windows)."""
    cut = int(np.argmax(np.diff(freq))) + 1
    return cut, freq.size - cut
