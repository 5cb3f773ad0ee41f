"""A long-lived child process that does work for the window's process: both ends of it.

``WorkerProcess`` (the window's side) starts ``python -m <module>`` and sends it one request at a time over pipes
(``app.core.file_messages``: JSON plus raw arrays, no pickle); ``serve`` (the child's side) answers them. The session
files (``app.core.file_process``) and the live fit (``app.core.fit_process``) each run in one, so that neither
HDF5's compression nor the fit's numpy stages hold the window's GIL. Qt-free.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from app.core.file_messages import PipeConnection, receive, send

_ROOT = str(Path(__file__).resolve().parents[2])  # where the app package is (the project is not installed)


class WorkerProcess:
    """One ``python -m module`` child; requests from any thread, one at a time. Subclasses set ``module``,
    ``errors`` (exception classes by name, for the child's failures) and ``gone`` (what a vanished child
    raises: ``gone(message)``), and may word ``gone_message``."""

    module = None
    errors = {}
    gone = RuntimeError

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self._connection = None
        self.starts = 0
        """How many child processes were started: a new number means a new child, which holds nothing yet."""

    def start(self):
        with self._lock:
            self._start()
        return self

    @property
    def pid(self):
        process = self._process
        return None if process is None else process.pid

    def _start(self):
        if self._process is not None and self._process.poll() is None:
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}
        # a fresh interpreter (not a fork of a process with Qt and threads in it, not multiprocessing's re-import
        # of the main script): python -m <module>, requests on its stdin, replies on its stdout
        self._process = subprocess.Popen([sys.executable, "-m", self.module], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, cwd=_ROOT, **self._popen_options())
        self._connection = PipeConnection(self._process.stdout, self._process.stdin)
        self.starts += 1

    def _popen_options(self):
        # in a session of its own: a Ctrl-C or hang-up from the terminal goes to the app, which ends this process
        # through its pipe once its work is done (in the terminal's process group a session file was killed
        # mid-step)
        return {"start_new_session": True}

    def gone_message(self, code, restart):
        """What to tell the user when the child has ended (``code``: its exit code, None if unknown)."""
        return f"the {self.module} process ended (exit code {code}); it starts again on the next request."

    def request(self, message, restart=True):
        """Send one request and wait for its reply (the wait releases the GIL). ``restart``: start a new process
        if the last one is gone (False where the new process would not hold what the old one did)."""
        with self._lock:
            if not restart and (self._process is None or self._process.poll() is not None):
                raise self.gone(self.gone_message(None if self._process is None else self._process.poll(), False))
            self._start()
            try:
                send(self._connection, message)
                reply = receive(self._connection)
            except (EOFError, OSError) as exc:
                code = self._process.poll()
                self._process = None
                raise self.gone(self.gone_message(code, True)) from exc
        if not reply["ok"]:
            if reply["error"] in self.errors:
                raise self.errors[reply["error"]](reply["message"])
            raise RuntimeError(f"{reply['error']}: {reply['message']}")
        return reply["result"]

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


def serve(handle, on_lost=None, niceness=0):
    """The child's side: answer requests from stdin on stdout until "quit" or until the parent goes away.

    ``handle(message, state)`` -> the reply's result (JSON-able plus arrays); its exceptions go back to the caller
    as {"ok": False, "error": <class name>, "message": ...}. ``on_lost(state)``: called when the parent's pipe
    closes without a "quit" (the parent crashed or was killed). ``niceness``: added to the child's own."""
    connection = PipeConnection(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout = sys.stderr  # nothing else may write into the reply channel
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    state = {}
    while True:
        try:
            message = receive(connection)
        except (EOFError, OSError):
            if on_lost is not None:
                on_lost(state)
            return
        if message.get("op") == "quit":
            send(connection, {"ok": True, "result": None})
            return
        try:
            reply = {"ok": True, "result": handle(message, state)}
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, who reports it
            reply = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
        try:
            send(connection, reply)
        except OSError:  # the parent went away while this request ran (killed): no one to tell, no traceback
            if on_lost is not None:
                on_lost(state)
            return
