"""File-system checks before a file is opened, and temporary files that cannot be redirected.

- ``regular_file(path)``: stat first, so that a FIFO (which would block the open forever), a folder or a
  device given as a session path is refused with a message instead of hanging or failing obscurely.
- ``staging_path(target)``: a new, empty temporary file beside ``target`` created with O_EXCL
  (``tempfile.mkstemp``), so a symlink planted at a predictable name is never followed; the caller writes
  it and moves it over the target with ``os.replace`` (atomic on one file system).
"""

import contextlib
import os
import stat
import tempfile

from .errors import SessionFileError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def regular_file(path, what="session file", error=SessionFileError):
    """``os.fspath(path)`` if it names an existing regular file (links followed); else raise ``error``."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path} does not exist; give the path of a {what}.") from None
    except (OSError, ValueError) as exc:
        raise error(f"{path} cannot be examined ({exc}); give the path of a {what}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise error(f"{path} is {kind}, not a {what}; give the path of a {what}.")
    return path


def staging_path(target, suffix=".tmp"):
    """Create an empty temporary file next to ``target`` (same folder, so os.replace is atomic) without
    following links; returns its path. Remove it with ``discard`` if the write fails."""
    target = os.fspath(target)
    folder = os.path.dirname(os.path.abspath(target))
    handle, path = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=suffix, dir=folder)
    try:  # mkstemp makes it private (0600); the result should keep the target's permissions
        os.fchmod(handle, stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else 0o644)
    finally:
        os.close(handle)
    return path


def discard(path):
    with contextlib.suppress(OSError):
        os.remove(path)


@contextlib.contextmanager
def replacing(target, suffix=".tmp"):
    """``with replacing(path) as tmp: write tmp`` -> tmp moved over ``path`` on success, removed on error.
    For report files and other whole-file writes: a crash leaves the old file, never a half-written one."""
    tmp = staging_path(target, suffix)
    try:
        yield tmp
        os.replace(tmp, os.fspath(target))
    except BaseException:
        discard(tmp)
        raise
