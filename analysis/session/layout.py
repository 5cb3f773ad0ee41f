"""The layout of a new session file: every group, dataset and attribute, made before SWMR mode forbids new
objects (``SessionWriter.create``); and the run status datasets, whose contents may change under SWMR."""

import os
import socket

import numpy as np

from .encoding import STRING_DTYPE, fit_text, fixed_text_dtype, numeric_array, to_json, write_array, write_json
from .scales import label_session
from .schema import (
    ACQUISITION,
    DARK_FRAME,
    DESCRIPTIONS,
    FILE_KIND,
    JOURNAL,
    METADATA,
    SCHEMA_VERSION,
    STATUS_DATASETS,
    STATUS_RUNNING,
    STEP_DATASETS,
    SUM_DTYPE,
    SUM_STORAGE,
    SUM_UNITS,
    TRUTH,
    utc_now,
)
from .units import resolve_units

CHECKSUMMED = {"chunks": True, "fletcher32": True}
"""HDF5's fletcher32 checksum (it needs chunked storage) for the datasets the analysis relies on."""


def split_truth(truth, truth_units):
    """({name: (array, units)}, {name: JSON text}): numbers and arrays become datasets, the rest JSON."""
    arrays = {name: numeric_array(value, f"truth[{name!r}]") for name, value in truth.items()
              if isinstance(value, np.ndarray | np.number | int | float) and not isinstance(value, bool)}
    booleans = [name for name, array in arrays.items() if array.dtype == bool]
    units = resolve_units(list(arrays), truth_units, "truth", booleans)
    json_items = {name: to_json(value, f"truth[{name!r}]") for name, value in truth.items() if name not in arrays}
    return {name: (array, units[name]) for name, array in arrays.items()}, json_items


def create_layout(h5file, freqs, window_index, frame_shape, texts, truth_arrays, truth_json, app_version,
            dark_frame_adu=None):
    """Create every group, dataset and attribute of a new session (before SWMR mode forbids it)."""
    n = freqs.shape[0]
    h5file.attrs.update({"file_kind": FILE_KIND, "schema_version": np.int64(SCHEMA_VERSION),
                         "app_version": app_version, "created_utc": utc_now(),
                         "writer_host": socket.gethostname(), "writer_pid": np.int64(os.getpid())})
    metadata = h5file.create_group(METADATA)
    for name, text in texts.items():
        write_json(metadata, name, text, name)
    acq = h5file.create_group(ACQUISITION)
    acq.attrs.update({"n_steps": n, "n_rows": frame_shape[0], "n_cols": frame_shape[1],
                      "n_windows": int(window_index.max()) + 1})
    # fletcher32 (HDF5's checksum, needs chunked storage) on every dataset the analysis relies on: a flipped
    # byte then fails the read instead of giving a wrong frequency, pair count or dark level.
    acq.create_dataset("freq_hz", data=freqs, **CHECKSUMMED).attrs["units"] = "Hz"
    acq.create_dataset("window_index", data=window_index, **CHECKSUMMED).attrs["units"] = "1"
    for name in ("on_sum", "off_sum"):
        dataset = acq.create_dataset(name, shape=(n, *frame_shape), dtype=SUM_DTYPE, chunks=(1, *frame_shape),
                                     fillvalue=0, **SUM_STORAGE)
        dataset.attrs["units"] = SUM_UNITS
    for name, (dtype, units, fill) in STEP_DATASETS.items():
        acq.create_dataset(name, shape=(n,), dtype=dtype, fillvalue=fill, **CHECKSUMMED).attrs["units"] = units
    if dark_frame_adu is not None:
        dark = acq.create_dataset(DARK_FRAME, data=dark_frame_adu, **CHECKSUMMED)
        dark.attrs.update({"units": "ADU", "description": "mean camera frame with the shutter closed, taken before "
                           "the sweep; subtracted (times n_pairs) from both sums in the spin contrast"})
    for name, n_bytes in STATUS_DATASETS.items():
        acq.create_dataset(name, data=b"", dtype=fixed_text_dtype(n_bytes))
    write_status(acq, STATUS_RUNNING, "", "")
    for name, text in DESCRIPTIONS.items():
        acq[name].attrs["description"] = text
    journal = h5file.create_group(JOURNAL)
    journal.create_dataset("step_index", data=np.array([-1], dtype=np.int64)).attrs["units"] = "1"
    for name in ("on_sum", "off_sum"):
        # Contiguous and uncompressed, allocated now: rewritten in place, so the journal never grows.
        journal.create_dataset(name, data=np.zeros(frame_shape, SUM_DTYPE)).attrs["units"] = SUM_UNITS
    counts = journal.create_dataset("counts", data=np.zeros(3, dtype=np.int64))
    counts.attrs.update({"units": "1", "fields": "n_pairs, n_sweeps, last_sweep_index"})
    times = journal.create_dataset("times_s", data=np.full(2, np.nan))
    times.attrs.update({"units": "s", "fields": "t_start_s, t_end_s"})
    if truth_arrays or truth_json:
        group = h5file.create_group(TRUTH)
        for name, (array, units) in truth_arrays.items():
            write_array(group, name, array, units, f"truth[{name!r}]")
        for name, text in truth_json.items():
            group.create_dataset(name, data=text, dtype=STRING_DTYPE).attrs["encoding"] = "json"
    label_session(h5file, acq, journal, h5file.get(TRUTH), frame_shape, texts["sample"])  # named dims for xarray


def write_status(acquisition_group, status, reason, finished_utc):
    """Write the run status datasets (allowed under SWMR: contents only)."""
    for name, text in (("status", status), ("status_reason", reason), ("finished_utc", finished_utc)):
        acquisition_group[name][()] = fit_text(text, STATUS_DATASETS[name])
