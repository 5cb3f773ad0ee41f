"""Giving back the space a SWMR writer could not reuse.

While HDF5 is in SWMR mode it never reuses freed file space (a reader might still be reading it), so
each sweep that replaces the compressed step totals leaves the previous copy behind: the file grows by
about one compressed copy of the sums per extra sweep. After the writer has closed, ``compact_session``
copies the live objects (HDF5 H5Ocopy: chunks are copied as stored, still compressed) into a new file and
moves it over the old one. The old file stays untouched until the new one is complete; the new one is
made with O_EXCL under a random name (safe_files.staging_path), so no planted link is followed.
"""

import os

import h5py

from .errors import SessionError
from .safe_files import discard, staging_path
from .scales import copy_scales
from .schema import LIBVER, LOCKING
from .tree import H5_ERRORS


def compact_session(path):
    """Rewrite ``path`` without unused space; returns (bytes before, bytes after). The file must not be
    open for writing. Readers that hold the old file open keep reading the old (identical) content."""
    path = os.fspath(path)
    before = os.path.getsize(path)
    staging = staging_path(path, ".compact.tmp")
    try:
        with h5py.File(path, "r", locking=LOCKING) as source, \
                h5py.File(staging, "w", libver=LIBVER, locking=LOCKING) as target:
            target.attrs.update(source.attrs)
            for name in source:
                source.copy(source[name], target, name=name)
            copy_scales(source, target)  # object copies between files lose dimension-scale links
        os.replace(staging, path)
    except BaseException as exc:
        discard(staging)
        if not isinstance(exc, H5_ERRORS):
            raise
        raise SessionError(f"{path} could not be compacted ({exc}); it is complete as it is, only larger "
                           "than needed.") from exc
    return before, os.path.getsize(path)
