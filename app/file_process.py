"""Session files written by a separate process (``app.file_worker``), so HDF5's compression never holds the
window's GIL: ``FileProcess.call(name, *args)`` runs an ``analysis.session`` writing function there, and
``ProcessSessionWriter`` stands in for ``SessionWriter`` in the sweep engine (each ``write_step`` returns once
the step is flushed to disk, as with the writer itself, so a step is marked done only when it is in the file).
"""

import multiprocessing
import threading

from analysis.session import errors as session_errors

from . import file_worker
from .file_messages import receive, send

_ERRORS = {name: getattr(session_errors, name) for name in dir(session_errors) if name.endswith("Error")}
_ERRORS.update(FileExistsError=FileExistsError, FileNotFoundError=FileNotFoundError, ValueError=ValueError,
               PermissionError=PermissionError)


class FileProcessError(session_errors.SessionWriteError):
    """The session-file process is gone (killed, crashed); the message says what to do."""


class FileProcess:
    """One long-lived worker process; requests from any thread, one at a time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self._connection = None

    def start(self):
        with self._lock:
            self._start()
        return self

    def _start(self):
        if self._process is not None and self._process.is_alive():
            return
        context = multiprocessing.get_context("spawn")  # no fork of a process with Qt and threads in it
        self._connection, child = context.Pipe()
        self._process = context.Process(target=file_worker.main, args=(child,), name="nvscope-files", daemon=True)
        self._process.start()
        child.close()

    def request(self, message):
        with self._lock:
            self._start()
            try:
                send(self._connection, message)
                reply = receive(self._connection)
            except (EOFError, OSError) as exc:
                code = self._process.exitcode
                self._process = None
                raise FileProcessError(f"the session-file process ended (exit code {code}); the file keeps what "
                                       "was written before. Start the sweep again (a new process starts).") from exc
        if not reply["ok"]:
            raise _ERRORS.get(reply["error"], RuntimeError)(reply["message"])
        return reply["result"]

    def call(self, function, /, *args, **kwargs):
        """Run ``app.file_worker.CALLS[function](*args, **kwargs)`` in the file process; returns its result."""
        return self.request({"op": "call", "name": function, "args": list(args), "kwargs": kwargs})

    def create_writer(self, **kwargs):
        self.request({"op": "create", "kwargs": kwargs})
        return ProcessSessionWriter(self, kwargs["path"])

    def close(self, timeout=10.0):
        with self._lock:
            if self._process is None:
                return
            try:
                send(self._connection, {"op": "quit"})
                receive(self._connection)
            except (EOFError, OSError):
                pass
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
            self._connection.close()
            self._process = None


class ProcessSessionWriter:
    """The sweep engine's session writer, in the file process (same calls as ``SessionWriter``)."""

    def __init__(self, files, path):
        self.files, self.path = files, str(path)
        self._closed = False

    @property
    def closed(self):
        return self._closed

    def write_step(self, step_index, sweep_index, on_sum, off_sum, n_pairs, t_start_s, t_end_s):
        self.files.request({"op": "write_step", "args": [int(step_index), int(sweep_index), on_sum, off_sum,
                                                         int(n_pairs), float(t_start_s), float(t_end_s)]})

    def finish(self, status="finished", reason=""):
        self._closed = True  # whatever happens now, this writer takes no more steps
        self.files.request({"op": "finish", "status": status, "reason": reason})

    def close(self):
        if not self._closed:
            self._closed = True
            self.files.request({"op": "close"})
