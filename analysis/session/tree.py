"""A session file loaded into memory as plain Python objects (groups, datasets, attributes), so that
upgrades of old schemas (``migrate.py``) and parsing (``reader.py``) work on data, not on open h5py
handles, and every h5py failure is turned into a SessionFileError naming the file and the part."""

import os
import subprocess
import sys
from dataclasses import dataclass, field

import h5py
import numpy as np

from . import h5lib
from .errors import SessionFileError, SessionInUseError
from .safe_files import regular_file
from .schema import LIBVER, LOCKING
from .superblock import SWMR_WRITE_FLAG, check_not_truncated, stored_end_of_file

# What h5py raises for unreadable, truncated or damaged files and objects.
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError)


@dataclass
class Leaf:
    """A dataset: its data (ndarray, numpy scalar, or str for a scalar string) and attributes."""

    data: object
    attrs: dict = field(default_factory=dict)


@dataclass
class Node:
    """A group: attributes and members (name -> Node or Leaf)."""

    attrs: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)

    def get(self, path):
        """The member at a '/'-separated path, or None."""
        item = self
        for part in path.strip("/").split("/"):
            if not isinstance(item, Node) or part not in item.members:
                return None
            item = item.members[part]
        return item


def _attr_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def read_attrs(h5obj):
    return {name: _attr_value(value) for name, value in h5obj.attrs.items()}


def _memory_limit_bytes():
    """Half the computer's memory (at most 64 GiB): no dataset of a session is read beyond it."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 * 2**30
    return min(total // 2, 64 * 2**30)


def _refuse_link(h5obj, name, path):
    """nvscope writes only hard links; a soft or external link, or a virtual dataset, would make the reader
    follow it into another place or file, so it is refused (a session is one self-contained file)."""
    link = h5obj.get(name, getlink=True)
    if isinstance(link, h5py.HardLink):
        return
    target = getattr(link, "path", "?")
    where = f"{h5obj.name.rstrip('/')}/{name}"
    if isinstance(link, h5py.ExternalLink):
        target = f"{link.filename}:{link.path}"
    raise SessionFileError(f"{path}: {where} is a {type(link).__name__} to {target}; session files hold only their "
                           "own data, so links are refused. Was the file edited by another program?")


def load_tree(h5obj, path, refresh=False):
    """Everything under an h5py group, read into memory. ``refresh``: re-read datasets that a SWMR writer
    in another process may have extended since they were opened. Soft and external links and virtual
    datasets are refused (SessionFileError); committed datatypes are skipped."""
    try:
        node = Node(attrs=read_attrs(h5obj))
        for name in h5obj:
            _refuse_link(h5obj, name, path)
            member = h5obj.get(name)
            if isinstance(member, h5py.Group):
                node.members[name] = load_tree(member, path, refresh)
            elif isinstance(member, h5py.Dataset):
                node.members[name] = _load_dataset(member, path, refresh)
        return node
    except H5_ERRORS as exc:
        raise SessionFileError(
            f"{path}: reading {h5obj.name} failed ({exc}); the file is damaged or truncated."
        ) from exc


def _load_dataset(dataset, path, refresh):
    try:
        if refresh:
            dataset.refresh()
        if dataset.is_virtual:
            raise SessionFileError(f"{path}: {dataset.name} is a virtual dataset (its data live in other files); "
                                   "session files hold only their own data, so it is refused.")
        n_bytes = int(np.prod(dataset.shape, dtype=object) if dataset.shape else 1) * dataset.dtype.itemsize
        if n_bytes > _memory_limit_bytes():
            raise SessionFileError(f"{path}: {dataset.name} declares shape {dataset.shape} of {dataset.dtype} "
                                   f"({n_bytes / 2**30:.3g} GiB), more than this computer can hold; the file is "
                                   "damaged or not an nvscope session.")
        if h5py.check_string_dtype(dataset.dtype) is not None:
            data = dataset.asstr()[()]
        else:
            data = dataset[()]
        return Leaf(data=data, attrs=read_attrs(dataset))
    except (*H5_ERRORS, MemoryError, OverflowError) as exc:
        raise SessionFileError(
            f"{path}: reading {dataset.name} failed ({exc}); the file is damaged or truncated."
        ) from exc


def write_tree(node, h5group):
    """Write a Node into an (empty) h5py group: the inverse of load_tree, used to copy/upgrade files."""
    from .encoding import STRING_DTYPE  # local: encoding imports nothing from here, keeps the graph flat

    h5group.attrs.update(node.attrs)
    for name, member in node.members.items():
        if isinstance(member, Node):
            write_tree(member, h5group.create_group(name))
            continue
        data = member.data
        if isinstance(data, str) or (isinstance(data, np.ndarray) and data.dtype == object):
            dataset = h5group.create_dataset(name, data=data, dtype=STRING_DTYPE)
        elif isinstance(data, np.ndarray) and data.ndim >= 1 and data.size >= 4096:
            chunks = (1, *data.shape[1:]) if data.ndim == 3 else True
            dataset = h5group.create_dataset(name, data=data, chunks=chunks, compression="gzip",
                                             compression_opts=4, shuffle=True, fletcher32=True)
        else:
            dataset = h5group.create_dataset(name, data=data)
        dataset.attrs.update(member.attrs)


def _explain_open_failure(path, exc, mode):
    text = str(exc)
    if "already open for write" in text or "already open for read-write" in text:
        return SessionInUseError(
            f"{path} is open for writing by an acquisition, or its writer was killed before it finished "
            f"(HDF5: {text}). Wait for the acquisition or analysis to end; if the process is gone (killed), "
            f"run `nvscope recover {path}` once (or accept File > Open's offer to recover it): it keeps every step."
        )
    if "unable to lock file" in text or "errno = 11" in text:
        return SessionInUseError(
            f"{path} is open in another program that holds a lock on it (HDF5: {text}); close it there and retry."
        )
    if mode != "r":
        return SessionFileError(f"{path} cannot be opened for writing: {text}.")
    return SessionFileError(f"{path} cannot be read as an HDF5 file: {text}. It is damaged, truncated or "
                            "not an HDF5 file.")


PROBE_S = 4.0
"""How long the probe process may take to open a file and read its metadata and small datasets."""
LIVE_PROBE_S = PROBE_S
_PROBE_FULL_BYTES = 16 * 2**20
_probed = set()
"""(device, inode, size, mtime) of files the probe has passed in this process: not probed again."""


def _open_live(path):
    fapl = h5lib.swmr_read_fapl()
    if fapl is None:  # no access to the library's settings: HDF5's default attempts (the probe bounds them)
        return h5py.File(path, "r", swmr=True, locking=LOCKING)
    fapl.set_file_locking(False, True)  # SWMR readers do not need the lock the writer holds
    return h5py.File(h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl))


_PROBE = """
import importlib.util, sys
import h5py
spec = importlib.util.spec_from_file_location("h5lib", sys.argv[2])
h5lib = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h5lib)
path, limit, live = sys.argv[1], int(sys.argv[3]), sys.argv[4] == "1"
def visit(name, obj):
    dict(obj.attrs.items())
    if isinstance(obj, h5py.Dataset) and not obj.is_virtual:
        if obj.size * obj.dtype.itemsize <= limit:
            obj[()]
        elif obj.chunks is not None:
            obj.id.get_num_chunks()
try:
    fapl = h5lib.swmr_read_fapl() if live else None
    if not live:
        h5file = h5py.File(path, "r", locking=False)
    elif fapl is None:
        h5file = h5py.File(path, "r", swmr=True, locking=False)
    else:
        fapl.set_file_locking(False, True)
        h5file = h5py.File(h5py.h5f.open(path.encode(), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl))
    with h5file:
        dict(h5file.attrs.items())
        h5file.visititems(visit)
except Exception as exc:
    sys.stderr.write(str(exc).replace(chr(10), " "))
    sys.exit(3)
"""


def _file_key(path):
    """(device, inode, size, modification time): a file version, as the probe remembers it; None if gone."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class _AppendFile(h5py.File):
    """A file opened here to add results. If it had passed the probe before, it still has once this process
    closes it (only HDF5 itself wrote to it), so its new version is remembered too: reopening a file right after
    ``nvscope fit`` or the GUI wrote into it costs no second child process."""

    _verified_path = None

    def close(self):
        super().close()
        if self._verified_path is not None:
            key = _file_key(self._verified_path)
            if key is not None:
                _probed.add(key)


def _probe(path, live):
    """HDF5 can loop for ever inside one call on some damaged files (measured: a live file cut at 3 kB; a
    finished file whose global heap, where the text attributes live, has a flipped byte). A call stuck in
    the C library cannot be interrupted, so the file is first opened by a small child process (h5py only)
    that reads all metadata, every text, and every dataset up to 16 MB, under a deadline. If it finishes
    (or HDF5 reports an error), the file is read here; files that passed are remembered (device, inode,
    size, modification time) and not probed again."""
    key = _file_key(path)
    if key is None or key in _probed:
        return
    try:
        # only h5py and h5lib.py (loaded by its path): a light process, not the whole analysis package
        probe = subprocess.run([sys.executable, "-c", _PROBE, path, h5lib.__file__, str(_PROBE_FULL_BYTES),
                                "1" if live else "0"], capture_output=True, text=True, timeout=PROBE_S, check=False)
    except subprocess.TimeoutExpired:
        state = "is marked as being written (an acquisition running, or killed) and " if live else ""
        raise SessionFileError(
            f"{path} {state}could not be read within {PROBE_S:g} s: HDF5 loops on it, so it is damaged or truncated."
            + (f" If its acquisition was killed, `nvscope recover {path}` may repair it." if live else "")) from None
    except OSError as exc:
        raise SessionFileError(f"{path}: could not start the reader check ({exc}).") from exc
    if probe.returncode == 3:
        return  # HDF5 reported the damage at once: reading here fails the same way, with nvscope's own message
    if probe.returncode != 0:
        raise SessionFileError(f"{path}: reading it crashed the reader check (exit {probe.returncode}: "
                               f"{probe.stderr.strip()[-300:]}); the file is damaged.")
    _probed.add(key)


def check_reads_in_time(path):
    """Refuse (SessionFileError) an HDF5 file that is not a regular file or on which HDF5 would loop: the
    child-process check of ``open_h5``, for HDF5 files that are not sessions (MATLAB v7.3 .mat files)."""
    _probe(regular_file(path), False)


def open_h5(path, mode="r", probe=True):
    """Open a session file with h5py, turning failures into SessionFileError / SessionInUseError.

    mode "r": every file is first read by a child process under a deadline (``_probe``; once per file
    version). A file whose superblock says an SWMR writer holds it (an acquisition running, or killed) is
    then opened as a SWMR reader with
    few metadata read attempts (h5lib), so a damaged block fails at once instead of being retried for
    minutes; every other file is opened plainly (HDF5 then checks the length and reports a bad checksum at
    once). "r+" opens for appending results (never in SWMR mode). Non-regular files (FIFO, folder,
    device) are refused before anything opens them. ``probe=False`` skips the child-process check:
    only for SessionReader, which follows a file a running writer is filling now (polled many times a
    second; that writer, alive, is not a damaged file)."""
    path = regular_file(path)
    check_not_truncated(path)
    stored = stored_end_of_file(path)
    live = mode == "r" and stored is not None and stored[1] & SWMR_WRITE_FLAG
    if mode == "r" and probe:
        _probe(path, live)
    try:
        if mode != "r":
            verified = _file_key(path) in _probed
            h5file = _AppendFile(path, mode, libver=LIBVER, locking=LOCKING)
            h5file._verified_path = path if verified else None
            return h5file
        return _open_live(path) if live else h5py.File(path, "r", locking=LOCKING)
    except (*H5_ERRORS, MemoryError, OverflowError) as exc:
        raise _explain_open_failure(path, exc, mode) from exc
