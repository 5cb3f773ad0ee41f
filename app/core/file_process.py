"""Session files written by a separate process (``app.core.file_worker``), so HDF5's compression never holds the
window's GIL: ``FileProcess.call(name, *args)`` runs an ``analysis.session`` writing function there, and
``ProcessSessionWriter`` stands in for ``SessionWriter`` in the session subscriber (each ``write_step`` returns
once the step is flushed to disk, as with the writer itself, so a step is marked done only when it is in the
file).
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from analysis.session import errors as session_errors
from app.core.file_messages import PipeConnection, receive, send

_ROOT = str(Path(__file__).resolve().parents[2])  # where the app package is (the project is not installed)

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
        if self._process is not None and self._process.poll() is None:
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}
        # a fresh interpreter (not a fork of a process with Qt and threads in it, not multiprocessing's re-import
        # of the main script): python -m app.core.file_worker, requests on its stdin, replies on its stdout
        # in a session of its own: a Ctrl-C or hang-up from the terminal goes to the app, which ends this process
        # through its pipe once the file is closed; in the terminal's process group it was killed mid-step
        self._process = subprocess.Popen([sys.executable, "-m", "app.core.file_worker"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, cwd=_ROOT, start_new_session=True)
        self._connection = PipeConnection(self._process.stdout, self._process.stdin)

    def request(self, message, restart=True):
        """Send one request and wait for its reply (the wait releases the GIL). ``restart``: start a new process
        if the last one is gone (False for a writer's requests: the new process would not hold that file)."""
        with self._lock:
            if not restart and (self._process is None or self._process.poll() is not None):
                raise FileProcessError("the session-file process ended during the acquisition; the file keeps "
                                       "every step written before. Start the sweep again (a new process starts).")
            self._start()
            try:
                send(self._connection, message)
                reply = receive(self._connection)
            except (EOFError, OSError) as exc:
                code = self._process.poll()
                self._process = None
                raise FileProcessError(f"the session-file process ended (exit code {code}); the file keeps what "
                                       "was written before. Start the sweep again (a new process starts).") from exc
        if not reply["ok"]:
            raise _ERRORS.get(reply["error"], RuntimeError)(reply["message"])
        return reply["result"]

    def call(self, function, /, *args, **kwargs):
        """Run ``app.core.file_worker.CALLS[function](*args, **kwargs)`` in the file process; returns its result."""
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
            self._connection.close()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.terminate()
                self._process.wait(timeout)
            self._process = None


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
