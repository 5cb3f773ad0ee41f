"""Two HDF5 file-access settings that h5py does not expose, set on h5py's own HDF5 library via ctypes:

- ``H5Pset_metadata_read_attempts``: a SWMR reader retries a metadata block whose checksum fails (it may
  be half-written by the writer) 100 times by default, with growing sleeps, for every block: a damaged
  file then "hangs" for minutes to hours. nvscope reads live files with a few attempts instead.
- the file-access property ``clear_status_flags``: what the HDF5 tool ``h5clear -s`` sets to open a file
  whose superblock still says "open for writing" after its writer was killed, clearing that mark.

Both are public HDF5 mechanisms (a public function; a property set with the public ``H5Pset``), reached
through ctypes because h5py has no binding. When the library cannot be found (an unusual h5py build),
``available()`` is False and callers fall back (see tree.open_h5 and recover.py).
"""

import ctypes
import functools
import glob
import os

import h5py

SWMR_READ_ATTEMPTS = 4
"""Enough for a block the writer is replacing at that instant; a damaged block fails in milliseconds."""


def _candidate_paths():
    # Linux: the copy h5py has loaded is listed in the process's memory map (whatever its install layout).
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                name = os.path.basename(line.rstrip().split(" ")[-1])
                if name.startswith("libhdf5") and not name.startswith("libhdf5_hl") and ".so" in name:
                    yield line.rstrip().split(" ")[-1]
    except OSError:
        pass
    package = os.path.dirname(h5py.__file__)
    for pattern in ("../h5py.libs/libhdf5-*.so*", ".dylibs/libhdf5.*dylib", "hdf5.dll"):
        yield from glob.glob(os.path.join(package, pattern))


@functools.cache
def _library():
    import h5py.h5f  # noqa: F401  (loads libhdf5 into the process first)

    for path in _candidate_paths():
        if "_hl" in os.path.basename(path):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.H5Pset_metadata_read_attempts.argtypes = (ctypes.c_int64, ctypes.c_uint)
            lib.H5Pset.argtypes = (ctypes.c_int64, ctypes.c_char_p, ctypes.c_void_p)
            return lib
        except (OSError, AttributeError):
            continue
    return None


def available():
    return _library() is not None


def swmr_read_fapl(attempts=SWMR_READ_ATTEMPTS):
    """A file-access property list for SWMR reading with few metadata read attempts, or None."""
    lib = _library()
    if lib is None:
        return None
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    if lib.H5Pset_metadata_read_attempts(fapl.id, attempts) < 0:
        return None
    return fapl


def clear_status_flags(path):
    """Open ``path`` for writing with HDF5's ``clear_status_flags`` property (as ``h5clear -s`` does) and
    close it: the superblock's "open for writing" marks are cleared. Takes the file lock, so it fails
    (OSError, "unable to lock file") while a live process holds the file. Returns False if the HDF5
    library is not reachable (caller falls back)."""
    lib = _library()
    if lib is None:
        return False
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_file_locking(True, False)
    value = ctypes.c_bool(True)
    if lib.H5Pset(fapl.id, b"clear_status_flags", ctypes.byref(value)) < 0:
        return False
    h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDWR, fapl=fapl).close()
    return True
