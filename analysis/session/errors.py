"""Errors raised by the session-file code. Each message names the file, what is wrong and what to do."""


class SessionError(Exception):
    """Base class of every session-file error."""


class SessionFileError(SessionError):
    """A file cannot be read as an nvscope session: not HDF5, truncated, damaged, missing parts, other kind."""


class SessionSchemaError(SessionFileError):
    """The file's schema version is newer than this nvscope reads, or older with no known upgrade."""


class SessionExistsError(SessionError, FileExistsError):
    """Creating a session would replace an existing file and ``overwrite=True`` was not given."""


class SessionInUseError(SessionError):
    """The file is being written by another process (an acquisition), or was left flagged as such by a
    writer that died; see ``recover_session``."""


class SessionWriteError(SessionError, ValueError):
    """A value given to the writer is invalid (shape, type, range), or the writer is in the wrong state."""
