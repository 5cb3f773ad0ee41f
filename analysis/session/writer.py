"""Writing a session while the sweep runs: ``SessionWriter``.

The file is created with every acquisition dataset sized for the whole sweep plan, then switched to HDF5
SWMR mode (single writer, many readers): from then on only dataset contents change, and each
``write_step`` ends with a flush, so a reader in another process sees every completed step and a process
killed at any moment leaves a file that holds every completed step.

Replacing a step's totals when a later sweep is added rewrites chunks in place; a kill in the middle of
that could leave a mix of old and new. So those writes go through a one-step journal: the new totals are
written and flushed to /acquisition/journal first, then the journal is marked valid, then the main arrays
are written, then the mark is cleared. Readers that find a valid mark use the journal's copy of that step.
HDF5's flush hands the data to the operating system, which keeps it when the process dies (SIGKILL, a crash:
tests/analysis/test_session_processes.py kills a writer and finds every completed step). It is not durable
against a power cut or an operating-system crash: for that the file is also synced to the disk (``os.fsync``
of its descriptor) at the end of the acquisition and after a step when the last sync is ``sync_interval_s``
old or more (default 1 s): a power cut loses at most the steps written since the last sync (during a running
sweep, about the last second; in a pause, the steps since the last sync, until the next step). An fsync per step
costs 5-13 ms per step at 256-512 pixels (benchmarks/bench_acquisition.py); ``sync_interval_s=0`` syncs
every step.
"""

import os
import time
import warnings

import h5py
import numpy as np

from .compact import compact_session
from .encoding import (
    numeric_array,
    to_json,
)
from .errors import SessionError, SessionExistsError, SessionWriteError
from .layout import create_layout, split_truth, write_status
from .schema import (
    ACQUISITION,
    FINAL_STATUSES,
    JOURNAL,
    LIBVER,
    LOCKING,
    STATUS_RUNNING,
    STEP_DATASETS,
    SUM_DTYPE,
    default_app_version,
    utc_now,
)

SYNC_INTERVAL_S = 1.0
"""Default longest time between fsyncs of a session being written: what a power cut can lose."""

_SUM_LIMIT_FLOAT = 2.0**53  # float sums above this are no longer exact integers


def _frequencies(freq_hz):
    """(freq_hz, window_index) from one 1-D array or a list of 1-D arrays (frequency windows)."""
    if isinstance(freq_hz, list | tuple) and freq_hz and np.ndim(freq_hz[0]) == 1:
        windows = [np.asarray(w, dtype=np.float64) for w in freq_hz]
    else:
        windows = [np.asarray(freq_hz, dtype=np.float64)]
    for i, window in enumerate(windows):
        if window.ndim != 1 or window.size == 0:
            raise SessionWriteError(f"frequency window {i} has shape {window.shape}; give a non-empty 1-D array.")
        if not np.all(np.isfinite(window)) or np.any(window <= 0):
            raise SessionWriteError(f"frequency window {i} holds non-finite or non-positive values (Hz): {window}.")
    freqs = np.concatenate(windows)
    index = np.concatenate([np.full(w.size, i, dtype=np.int32) for i, w in enumerate(windows)])
    return freqs, index


def _sum_frame(name, value, frame_shape):
    """A frame sum as uint64; refuses wrong shapes, negative or fractional values."""
    array = numeric_array(value, name)
    if array.shape != frame_shape:
        raise SessionWriteError(f"{name} has shape {array.shape}; this session's frames are {frame_shape}.")
    if array.dtype.kind == "b":
        raise SessionWriteError(f"{name} is boolean; give the integer sum of the frames (ADU).")
    if array.dtype.kind == "f":
        if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))
                and array.min() >= 0 and array.max() < _SUM_LIMIT_FLOAT):
            raise SessionWriteError(f"{name} holds values that are not whole non-negative numbers of ADU "
                                    f"(min {array.min()}, max {array.max()}); give the integer frame sum.")
    elif array.dtype.kind == "i" and array.size and array.min() < 0:
        raise SessionWriteError(f"{name} has negative values (min {array.min()}); frame sums are >= 0 ADU.")
    return array.astype(SUM_DTYPE)


def _whole_number(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise SessionWriteError(f"{name} = {value!r} must be a whole number >= {minimum}.")
    return int(value)


class SessionWriter:
    """Writes one session file during acquisition. Create with ``SessionWriter.create``; use as a
    context manager so that leaving on an exception records status "failed" with the reason."""

    def __init__(self, h5file, path, freq_hz, frame_shape, sync_interval_s=SYNC_INTERVAL_S):
        self._file = h5file
        self.path = path
        self.freq_hz = freq_hz
        self.frame_shape = frame_shape
        self._acq = h5file[ACQUISITION]
        self._journal = h5file[JOURNAL]
        n = freq_hz.shape[0]
        self._counters = {name: np.full(n, fill, dtype=dtype) for name, (dtype, _, fill) in STEP_DATASETS.items()}
        self._status = STATUS_RUNNING
        self.sync_interval_s = float(sync_interval_s)
        self._last_sync = time.monotonic()

    @classmethod
    def create(cls, path, *, frame_shape, freq_hz, plan, instrument_settings, sample_metadata, truth=None,
               truth_units=None, app_version=None, overwrite=False, dark_frame_adu=None,
               sync_interval_s=SYNC_INTERVAL_S):
        """Create the session file at ``path`` and return its writer (file in SWMR mode, status "running").

        frame_shape: (n_rows, n_cols) of the camera frames.
        freq_hz: the sweep's frequencies in Hz, one per step (1-D), or a list of 1-D arrays (frequency
            windows, e.g. around f_minus and f_plus), concatenated in order; ``window_index`` records which.
        plan, instrument_settings, sample_metadata: dicts stored as JSON (sample_metadata e.g. name,
            spion_concentration_ug_per_ml, notes). Numpy values and dataclasses are converted.
        truth: for simulated sessions, name -> array (stored with units, from ``truth_units`` or the name:
            ``b_nv_t`` -> T) or JSON-able value (e.g. the list of true cells).
        overwrite: replace an existing file; without it an existing file is never touched.
        sync_interval_s: fsync the file after a step when the last sync is this old (s; 0 = every step): what
            a power cut can lose (a killed process loses nothing completed; see the module docstring).
        dark_frame_adu: the camera's mean frame with the shutter closed (ADU, frame_shape), subtracted from
            both sums in the spin contrast.
        """
        path = os.fspath(path)
        freqs, window_index = _frequencies(freq_hz)
        try:
            frame_shape = tuple(_whole_number("frame_shape entry", n, 1) for n in frame_shape)
        except TypeError:
            raise SessionWriteError(f"frame_shape = {frame_shape!r}; give (n_rows, n_cols).") from None
        if len(frame_shape) != 2:
            raise SessionWriteError(f"frame_shape = {frame_shape!r}; give (n_rows, n_cols).")
        if dark_frame_adu is not None:
            dark_frame_adu = np.asarray(dark_frame_adu, dtype=np.float32)
            if dark_frame_adu.shape != frame_shape or not np.all(np.isfinite(dark_frame_adu)):
                raise SessionWriteError(f"dark_frame_adu has shape {dark_frame_adu.shape}; give finite values of "
                                        f"the frame shape {frame_shape}.")
        for name, value in (("plan", plan), ("instrument_settings", instrument_settings),
                            ("sample_metadata", sample_metadata)):
            if not isinstance(value, dict):
                raise SessionWriteError(f"{name} must be a dict, got {type(value).__name__}.")
        if truth is not None and not isinstance(truth, dict):
            raise SessionWriteError(f"truth must be a dict of name -> value, got {type(truth).__name__}.")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise SessionWriteError(f"cannot create {path}: the folder {folder} does not exist.")
        if os.path.isdir(path):
            raise SessionExistsError(f"{path} is a folder; give a file name for the session.")
        if os.path.exists(path) and not overwrite:
            raise SessionExistsError(
                f"{path} exists; a session file is never replaced silently. Choose another name, or give "
                "overwrite=True to replace it."
            )
        # Encode everything before the file is touched, so that a bad value leaves no half-made file.
        texts = {name: to_json(value, name) for name, value in (
            ("instrument_settings", instrument_settings), ("plan", plan), ("sample", sample_metadata))}
        truth_arrays, truth_json = split_truth(truth or {}, truth_units)
        if overwrite and os.path.exists(path):
            os.remove(path)
        try:
            h5file = h5py.File(path, "w", libver=LIBVER, locking=LOCKING)
        except OSError as exc:
            raise SessionError(f"cannot create the session file {path}: {exc}.") from exc
        try:
            create_layout(h5file, freqs, window_index, frame_shape, texts, truth_arrays, truth_json,
                    str(app_version or default_app_version()), dark_frame_adu)
            h5file.flush()
            h5file.swmr_mode = True
        except BaseException:
            h5file.close()
            os.remove(path)  # our own half-made file, holding no measurement yet
            raise
        return cls(h5file, path, freqs, frame_shape, sync_interval_s)

    @property
    def n_steps(self):
        return int(self.freq_hz.shape[0])

    @property
    def status(self):
        return self._status

    @property
    def closed(self):
        return self._status != STATUS_RUNNING

    def step_done(self):
        """Copy of the mask of steps holding at least one sweep."""
        return self._counters["step_done"].astype(bool)

    def write_step(self, step_index, sweep_index, on_sum, off_sum, n_pairs, t_start_s, t_end_s):
        """Add one sweep's sums for one frequency step, then flush.

        on_sum, off_sum: (n_rows, n_cols) integer sums (ADU) of the n_pairs RF-on and RF-off frames of this
        sweep at this step (any integer dtype, or floats holding whole numbers). They are added to what
        earlier sweeps stored for the step; n_pairs adds to the pair count, n_sweeps grows by one.
        sweep_index: 0-based sweep number; it must exceed every sweep already written to this step (a sweep
        is added once). t_start_s, t_end_s: Unix time (s, time.time()) of this sweep's first and last frame
        at this step; stored as the step's latest-write times.
        """
        if self.closed:
            raise SessionWriteError(f"{self.path}: the session is closed (status {self._status!r}); "
                                    "no more steps can be written.")
        step = _whole_number("step_index", step_index, 0)
        if step >= self.n_steps:
            raise SessionWriteError(f"step_index {step} is outside this sweep plan's 0..{self.n_steps - 1}.")
        sweep = _whole_number("sweep_index", sweep_index, 0)
        pairs = _whole_number("n_pairs", n_pairs, 1)
        last = int(self._counters["last_sweep_index"][step])
        if sweep <= last:
            raise SessionWriteError(f"step {step} already holds sweep {last}; sweep {sweep} cannot be added "
                                    "again or out of order (each sweep is added once, in increasing order).")
        t_start, t_end = float(t_start_s), float(t_end_s)
        if not (np.isfinite(t_start) and np.isfinite(t_end) and t_end >= t_start):
            raise SessionWriteError(f"times t_start_s = {t_start_s!r}, t_end_s = {t_end_s!r} s must be finite "
                                    "with t_end_s >= t_start_s.")
        on = _sum_frame("on_sum", on_sum, self.frame_shape)
        off = _sum_frame("off_sum", off_sum, self.frame_shape)
        c = self._counters
        first_write = c["n_sweeps"][step] == 0
        if not first_write:
            on = self._accumulate("on_sum", step, on)
            off = self._accumulate("off_sum", step, off)
        new = {"n_pairs": c["n_pairs"][step] + pairs, "n_sweeps": c["n_sweeps"][step] + 1,
               "last_sweep_index": sweep, "step_done": 1, "t_start_s": t_start, "t_end_s": t_end}
        if first_write:
            # Fresh chunks: nothing to lose if killed now; step_done is set only after the sums are flushed.
            self._store_sums(step, on, off)
            self._store_counters(step, new)
        else:
            self._write_journal(step, on, off, new)
            self._store_sums(step, on, off)
            self._store_counters(step, new)
            self._journal["step_index"][0] = -1
            self._file.flush()
        if time.monotonic() - self._last_sync >= self.sync_interval_s:
            self._sync()

    def _sync(self):
        """Make what was flushed durable: fsync the file's descriptor (HDF5's flush does not)."""
        try:
            handle = self._file.id.get_vfd_handle()
        except (AttributeError, NotImplementedError, ValueError, RuntimeError):  # a driver without a descriptor
            return
        os.fsync(int(handle))
        self._last_sync = time.monotonic()

    def _accumulate(self, name, step, addition):
        total = self._acq[name][step]
        result = total + addition
        if np.any(result < total):
            raise SessionWriteError(f"step {step}: {name} would overflow uint64; the sums are far beyond any "
                                    "real measurement, check the frames given.")
        return result

    def _write_journal(self, step, on, off, new):
        self._journal["on_sum"][...] = on
        self._journal["off_sum"][...] = off
        self._journal["counts"][...] = [new["n_pairs"], new["n_sweeps"], new["last_sweep_index"]]
        self._journal["times_s"][...] = [new["t_start_s"], new["t_end_s"]]
        self._file.flush()
        self._journal["step_index"][0] = step
        self._file.flush()

    def _store_sums(self, step, on, off):
        self._acq["on_sum"][step] = on
        self._acq["off_sum"][step] = off
        self._file.flush()

    def _store_counters(self, step, new):
        for name, value in new.items():
            self._counters[name][step] = value
            self._acq[name][step] = self._counters[name][step]
        self._file.flush()

    def finish(self, status="finished", reason=""):
        """Record how the acquisition ended ("finished", "aborted" or "failed", with a free-text reason) and
        close the file. After this it is an ordinary HDF5 file, open to any reader. If later sweeps
        replaced steps, the file is then compacted (see compact.py; ~0.3 s per 30 MB)."""
        if self.closed:
            raise SessionWriteError(f"{self.path}: already closed with status {self._status!r}.")
        if status not in FINAL_STATUSES:
            raise SessionWriteError(f"status {status!r} is not one of {FINAL_STATUSES}.")
        write_status(self._acq, status, reason, utc_now())
        self._file.flush()
        self._sync()
        self._file.close()
        self._status = status
        if self._counters["n_sweeps"].max() > 1:  # replaced steps left space SWMR could not reuse
            try:
                compact_session(self.path)
            except SessionError as exc:
                warnings.warn(str(exc), stacklevel=2)

    def close(self):
        """Finish if not yet finished: "finished" when every step holds data, else "aborted"."""
        if self.closed:
            return
        done = int(np.count_nonzero(self._counters["step_done"]))
        if done == self.n_steps:
            self.finish("finished")
        else:
            self.finish("aborted", f"closed after {done} of {self.n_steps} steps without finish()")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.closed:
            return False
        if exc is None:
            self.close()
            return False
        status = "aborted" if isinstance(exc, KeyboardInterrupt) else "failed"
        try:
            self.finish(status, f"{exc_type.__name__}: {exc}")
        except (SessionError, OSError) as secondary:
            exc.add_note(f"nvscope could not record status {status!r} in {self.path}: {secondary}")
        return False
