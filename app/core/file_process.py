"""Session files written by a separate process (``app.core.file_worker``), so HDF5's compression never holds the
window's GIL: ``FileProcess.call(name, *args)`` runs an ``analysis.session`` writing function there, and
``ProcessSessionWriter`` stands in for ``SessionWriter`` in the session subscriber (each ``write_step`` returns
once the step is flushed to disk, as with the writer itself, so a step is marked done only when it is in the
file).
"""

from analysis.session import errors as session_errors
from app.core.worker_process import WorkerProcess

_ERRORS = {name: getattr(session_errors, name) for name in dir(session_errors) if name.endswith("Error")}
_ERRORS.update(FileExistsError=FileExistsError, FileNotFoundError=FileNotFoundError, ValueError=ValueError,
               PermissionError=PermissionError)


class FileProcessError(session_errors.SessionWriteError):
    """The session-file process is gone (killed, crashed); the message says what to do."""


class FileProcess(WorkerProcess):
    """One long-lived worker process (``python -m app.core.file_worker``); requests from any thread, one at a
    time."""

    module = "app.core.file_worker"
    errors = _ERRORS
    gone = FileProcessError

    def gone_message(self, code, restart):
        if not restart:
            return ("the session-file process ended during the acquisition; the file keeps every step written "
                    "before. Start the sweep again (a new process starts).")
        return (f"the session-file process ended (exit code {code}); the file keeps what was written before. "
                "Start the sweep again (a new process starts).")

    def call(self, function, /, *args, **kwargs):
        """Run ``app.core.file_worker.CALLS[function](*args, **kwargs)`` in the file process; returns its result."""
        return self.request({"op": "call", "name": function, "args": list(args), "kwargs": kwargs})

    def create_writer(self, **kwargs):
        self.request({"op": "create", "kwargs": kwargs})
        return ProcessSessionWriter(self, kwargs["path"])


class ProcessSessionWriter:
    """The acquisition's session writer, in the file process (same calls as ``SessionWriter``)."""

    def __init__(self, files, path):
        self.files, self.path = files, str(path)
        self._closed = False

    @property
    def closed(self):
        return self._closed

    def write_step(self, step_index, sweep_index, on_sum, off_sum, n_pairs, t_start_s, t_end_s):
        self.files.request({"op": "write_step", "args": [int(step_index), int(sweep_index), on_sum, off_sum,
                                                         int(n_pairs), float(t_start_s), float(t_end_s)]},
                           restart=False)

    def finish(self, status="finished", reason=""):
        self._closed = True  # whatever happens now, this writer takes no more steps
        self.files.request({"op": "finish", "status": status, "reason": reason}, restart=False)

    def close(self):
        if not self._closed:
            self._closed = True
            self.files.request({"op": "close"}, restart=False)
