"""Checks on what a session file holds, before the analysis relies on it: dtype, shape and range of every
acquisition dataset, the journal and the metadata, each failure a SessionFileError naming the dataset,
the value found and what was expected. HDF5 checksums (fletcher32) cover the frame sums, and in new files
the per-step datasets too; these checks also cover files written before that, and bytes flipped where no
checksum reaches.
"""

import numpy as np

from .errors import SessionFileError
from .schema import ACQUISITION, JOURNAL, METADATA, METADATA_ITEMS

ADU_MAX = 65535.0
"""Camera frames are uint16: a dark frame (mean of frames) lies in 0..65535 ADU."""
FREQ_MAX_HZ = 1.0e12
PAIRS_MAX = 2**40
"""On/off pairs per step: far above any real acquisition (1e6 pairs/s for 12 days), far below overflow."""
SWEEPS_MAX = 2**31


def _fail(path, name, problem):
    raise SessionFileError(f"{path}: /{name} {problem}; the file is damaged (or was not written by nvscope).")


def _kind(path, name, array, kinds, what):
    if not isinstance(array, np.ndarray) or array.dtype.kind not in kinds:
        dtype = getattr(array, "dtype", type(array).__name__)
        _fail(path, name, f"has dtype {dtype}, expected {what}")


def _range(path, name, array, low, high, what):
    if array.size and (array.min() < low or array.max() > high):
        _fail(path, name, f"holds values from {array.min()} to {array.max()}, expected {what}")


def check_frequencies(freq_hz, window_index, path):
    name = f"{ACQUISITION}/freq_hz"
    _kind(path, name, freq_hz, "f", "floating-point Hz")
    if freq_hz.ndim != 1 or freq_hz.size == 0:
        _fail(path, name, f"has shape {freq_hz.shape}, expected (n_steps,) with n_steps >= 1")
    if not np.all(np.isfinite(freq_hz)):
        _fail(path, name, f"holds non-finite values at steps {np.flatnonzero(~np.isfinite(freq_hz))[:5].tolist()}")
    _range(path, name, freq_hz, np.nextafter(0.0, 1.0), FREQ_MAX_HZ, f"positive frequencies below {FREQ_MAX_HZ:g} Hz")
    windows = f"{ACQUISITION}/window_index"
    _kind(path, windows, window_index, "iu", "integers")
    _range(path, windows, window_index, 0, freq_hz.size, "window numbers 0, 1, ...")
    if np.any(np.diff(window_index) < 0):
        _fail(path, windows, "decreases; windows are stored one after the other")
    same_window = np.diff(window_index) == 0
    steps = np.diff(freq_hz)
    if np.any(steps[same_window] <= 0):
        bad = int(np.flatnonzero(same_window & (steps <= 0))[0])
        _fail(path, name, f"does not increase within its window at step {bad + 1} ({freq_hz[bad]!r} Hz then "
                          f"{freq_hz[bad + 1]!r} Hz)")


def check_acquisition(acq, path):
    """``acq``: dataset name -> array (shapes already checked against freq_hz and the frame)."""
    check_frequencies(acq["freq_hz"], acq["window_index"], path)
    for name in ("on_sum", "off_sum"):
        _kind(path, f"{ACQUISITION}/{name}", acq[name], "iu", "integer sums of frames (ADU)")
        if acq[name].dtype.kind == "i":
            _range(path, f"{ACQUISITION}/{name}", acq[name], 0, np.inf, "sums >= 0 ADU")
    _kind(path, f"{ACQUISITION}/n_pairs", acq["n_pairs"], "iu", "whole numbers of on/off pairs")
    _range(path, f"{ACQUISITION}/n_pairs", acq["n_pairs"], 0, PAIRS_MAX, f"0..{PAIRS_MAX} pairs per step")
    _kind(path, f"{ACQUISITION}/n_sweeps", acq["n_sweeps"], "iu", "whole numbers of sweeps")
    _range(path, f"{ACQUISITION}/n_sweeps", acq["n_sweeps"], 0, SWEEPS_MAX, f"0..{SWEEPS_MAX} sweeps")
    _kind(path, f"{ACQUISITION}/last_sweep_index", acq["last_sweep_index"], "iu", "sweep numbers")
    _range(path, f"{ACQUISITION}/last_sweep_index", acq["last_sweep_index"], -1, SWEEPS_MAX, "-1 or a sweep number")
    done = acq["step_done"]
    _kind(path, f"{ACQUISITION}/step_done", done, "biu", "0/1 flags")
    _range(path, f"{ACQUISITION}/step_done", done, 0, 1, "0 or 1")
    if np.any((done != 0) & (acq["n_pairs"] == 0)):
        _fail(path, f"{ACQUISITION}/n_pairs", "is 0 for a step marked done (step_done = 1)")
    for name in ("t_start_s", "t_end_s"):
        _kind(path, f"{ACQUISITION}/{name}", acq[name], "f", "floating-point Unix times (s)")


def check_dark_frame(dark, frame_shape, path):
    name = f"{ACQUISITION}/dark_frame_adu"
    _kind(path, name, dark, "fiu", "numbers (ADU)")
    if dark.shape != tuple(frame_shape):
        _fail(path, name, f"has shape {dark.shape}, expected the frame shape {tuple(frame_shape)}")
    if not np.all(np.isfinite(dark)):
        _fail(path, name, "holds non-finite values")
    _range(path, name, dark, 0.0, ADU_MAX, f"0..{ADU_MAX:g} ADU (a mean of uint16 camera frames)")


def check_journal(journal, frame_shape, path):
    expected = {"step_index": (1,), "counts": (3,), "times_s": (2,), "on_sum": tuple(frame_shape),
                "off_sum": tuple(frame_shape)}
    for name, shape in expected.items():
        array = journal[name]
        _kind(path, f"{JOURNAL}/{name}", array, "fiu", "numbers")
        if array.shape != shape:
            _fail(path, f"{JOURNAL}/{name}", f"has shape {array.shape}, expected {shape}")


def check_metadata(values, path):
    """``values``: item name -> decoded JSON; each must be a JSON object (dict)."""
    for name in METADATA_ITEMS:
        value = values[name]
        if not isinstance(value, dict):
            _fail(path, f"{METADATA}/{name}", f"holds a JSON {type(value).__name__}, expected an object ({{...}})")


def check_table_columns(columns, path, where):
    """All columns of a table (name -> 1-D sequence) must have the same length."""
    lengths = {name: (np.shape(values)[0] if np.ndim(values) >= 1 else None) for name, values in columns.items()}
    if None in lengths.values():
        scalar = next(name for name, n in lengths.items() if n is None)
        _fail(path, f"{where}/{scalar}", "is a single value, expected one value per row")
    if len(set(lengths.values())) > 1:
        _fail(path, where, f"has columns of different lengths {lengths}")
