"""A session file loaded into memory as plain Python objects (groups, datasets, attributes), so that
upgrades of old schemas (``migrate.py``) and parsing (``reader.py``) work on data, not on open h5py
handles, and every h5py failure is turned into a SessionFileError naming the file and the part."""

import os
from dataclasses import dataclass, field

import h5py
import numpy as np

from .errors import SessionFileError, SessionInUseError
from .schema import LIBVER, LOCKING
from .superblock import check_not_truncated

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


def load_tree(h5obj, path, refresh=False):
    """Everything under an h5py group, read into memory. ``refresh``: re-read datasets that a SWMR writer
    in another process may have extended since they were opened."""
    try:
        node = Node(attrs=read_attrs(h5obj))
        for name in h5obj:
            member = h5obj.get(name)
            if isinstance(member, h5py.Group):
                node.members[name] = load_tree(member, path, refresh)
            elif isinstance(member, h5py.Dataset):
                node.members[name] = _load_dataset(member, path, refresh)
            # Other link kinds (soft, external, committed types) are not part of a session file.
        return node
    except H5_ERRORS as exc:
        raise SessionFileError(
            f"{path}: reading {h5obj.name} failed ({exc}); the file is damaged or truncated."
        ) from exc


def _load_dataset(dataset, path, refresh):
    try:
        if refresh:
            dataset.refresh()
        if h5py.check_string_dtype(dataset.dtype) is not None:
            data = dataset.asstr()[()]
        else:
            data = dataset[()]
        return Leaf(data=data, attrs=read_attrs(dataset))
    except H5_ERRORS as exc:
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
            f"(HDF5: {text}). Wait for the acquisition to end; if the writing process is gone, run "
            "analysis.session.recover_session(path) once."
        )
    if "unable to lock file" in text or "errno = 11" in text:
        return SessionInUseError(
            f"{path} is open in another program that holds a lock on it (HDF5: {text}); close it there and retry."
        )
    if mode != "r":
        return SessionFileError(f"{path} cannot be opened for writing: {text}.")
    return SessionFileError(f"{path} cannot be read as an HDF5 file: {text}. It is damaged, truncated or "
                            "not an HDF5 file.")


def open_h5(path, mode="r"):
    """Open a session file with h5py, turning failures into SessionFileError / SessionInUseError.

    mode "r" opens as a SWMR reader, which works both for closed files and for files an acquisition is
    writing right now (or that a killed acquisition left behind); "r+" opens for appending results."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise SessionFileError(f"{path} does not exist.")
    if os.path.isdir(path):
        raise SessionFileError(f"{path} is a folder, not a session file.")
    check_not_truncated(path)
    try:
        if mode == "r":
            return h5py.File(path, "r", swmr=True, locking=LOCKING)
        return h5py.File(path, mode, libver=LIBVER, locking=LOCKING)
    except H5_ERRORS as exc:
        raise _explain_open_failure(path, exc, mode) from exc
