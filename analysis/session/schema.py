"""The layout of a session file, schema version 1: names, dtypes, storage settings, identity checks.

The user-facing description of every group, dataset and attribute is docs/session_files.md; keep the two
in step. Changing the layout means a new SCHEMA_VERSION and an upgrade function in ``migrate.py``.
"""

import datetime
import importlib.metadata

import numpy as np

from .errors import SessionFileError, SessionSchemaError

FILE_KIND = "nvscope-session"
SCHEMA_VERSION = 1

# HDF5 1.10 file format: the oldest that allows SWMR, and readable by any HDF5 >= 1.10 (MATLAB R2021b+,
# h5py >= 2.9). "latest" under HDF5 2.x could write objects that 1.x readers cannot open.
LIBVER = ("v110", "v110")
# Use file locks where the file system has them, carry on where it does not (some network shares).
LOCKING = "best-effort"

# Frame sums: integer sums of uint16 frames. uint64 cannot overflow (2**64 / 65535 ~ 2.8e14 full-scale
# frames) and, with the shuffle filter, its always-zero high bytes compress to almost nothing, so it costs
# no more on disk than uint32 (which would overflow after 65537 full-scale frames, e.g. 300 pairs x 219
# sweeps). float64 would be exact only to 2**53 and compresses worse.
SUM_DTYPE = np.dtype(np.uint64)
SUM_UNITS = "ADU"
# Shuffle + LZF (built into h5py, no plugin): half of gzip-4's CPU time per frame written (256 x 256: 2.8 vs
# 5.8 ms; 512 x 512: 10 vs 21 ms) for 7-9 % more bytes (benchmarks/bench_compression.py).
# h5py reads LZF everywhere; other HDF5 tools need the LZF filter (docs/session_files.md). Files written
# with gzip before stay readable: the filter is recorded per dataset.
SUM_STORAGE = {"compression": "lzf", "shuffle": True, "fletcher32": True}
# Analysis arrays at least this many elements are chunked and compressed the same way.
COMPRESS_MIN_ELEMENTS = 4096

STATUS_RUNNING = "running"
STATUS_INTERRUPTED = "interrupted"
FINAL_STATUSES = ("finished", "aborted", "failed")
ALL_STATUSES = (STATUS_RUNNING, STATUS_INTERRUPTED, *FINAL_STATUSES)

METADATA = "metadata"
METADATA_ITEMS = ("instrument_settings", "plan", "sample")
ACQUISITION = "acquisition"
JOURNAL = "acquisition/journal"
TRUTH = "truth"
ANALYSIS = "analysis"
FIT = "analysis/fit"
BACKGROUND = "analysis/background"
FIELD_MAP = "analysis/field_map"
CELLS = "analysis/cells"
MODELS = "analysis/models"
MAP_GROUPS = {"fit": FIT, "background": BACKGROUND, "field_map": FIELD_MAP}
INCOMPLETE_SUFFIX = "__incomplete"
"""A result group being replaced is first written under this suffix, then moved into place."""

ROOT_ATTRS = ("file_kind", "schema_version", "app_version", "created_utc", "writer_host", "writer_pid")
# How the run ended lives in small fixed-size text datasets, not attributes: datasets can be rewritten under
# SWMR, so finish() records the status without reopening the file (which a reader's lock could block),
# and live readers see it change. name -> size in bytes (UTF-8, truncated to fit).
STATUS_DATASETS = {"status": 16, "status_reason": 2048, "finished_utc": 40}

# Per-step datasets of /acquisition: name -> (dtype, units, fill value).
DARK_FRAME = "dark_frame_adu"
"""Optional /acquisition dataset: the camera's mean dark frame (ADU)."""

STEP_DATASETS = {
    "n_pairs": (np.uint64, "1", 0),
    "n_sweeps": (np.uint32, "1", 0),
    "last_sweep_index": (np.int64, "1", -1),
    "step_done": (np.uint8, "1", 0),
    "t_start_s": (np.float64, "s", np.nan),
    "t_end_s": (np.float64, "s", np.nan),
}
DESCRIPTIONS = {
    "freq_hz": "microwave frequency of each step",
    "window_index": "which frequency window of the plan each step belongs to (0, 1, ...)",
    "on_sum": "sum of the RF-on frames of each step over all sweeps written (camera counts)",
    "off_sum": "sum of the RF-off frames of each step over all sweeps written (camera counts)",
    "n_pairs": "on/off frame pairs summed into each step over all sweeps",
    "n_sweeps": "sweeps added into each step",
    "last_sweep_index": "0-based index of the latest sweep added to each step (-1: none)",
    "step_done": "1 where the step holds at least one complete sweep; 0: no data yet",
    "t_start_s": "Unix time of the first frame of the latest sweep written to the step (NaN: none)",
    "t_end_s": "Unix time of the last frame of the latest sweep written to the step (NaN: none)",
    "status": "running | finished | aborted | failed | interrupted (writer died, file recovered)",
    "status_reason": "why the run ended that way (free text, may be empty)",
    "finished_utc": "when the run ended, ISO 8601 UTC (empty while running)",
}
ACQUISITION_ARRAYS = ("freq_hz", "window_index", "on_sum", "off_sum", *STEP_DATASETS)
ACQUISITION_DATASETS = (*ACQUISITION_ARRAYS, *STATUS_DATASETS)
JOURNAL_DATASETS = ("step_index", "on_sum", "off_sum", "counts", "times_s")


def utc_now():
    """Current time as ISO 8601 text in UTC, e.g. '2026-05-09T12:00:00.123+00:00'."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def default_app_version():
    try:
        return importlib.metadata.version("nvscope")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (nvscope not installed)"


def file_schema_version(attrs, path):
    """Check that root attributes ``attrs`` are an nvscope session's; return its schema version.

    Raises SessionFileError for another kind of file, SessionSchemaError for a future schema.
    """
    kind = attrs.get("file_kind")
    if isinstance(kind, bytes):
        kind = kind.decode("utf-8", "replace")
    if kind != FILE_KIND:
        raise SessionFileError(
            f"{path} is an HDF5 file but not an nvscope session (root attribute file_kind is {kind!r}, "
            f"expected {FILE_KIND!r})."
        )
    version = attrs.get("schema_version")
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise SessionFileError(
            f"{path}: root attribute schema_version is {version!r}, not a whole number; the file is damaged."
        ) from None
    if version > SCHEMA_VERSION:
        raise SessionSchemaError(
            f"{path}: file schema {version} is newer than this nvscope (reads up to {SCHEMA_VERSION}): "
            "update nvscope."
        )
    return version
