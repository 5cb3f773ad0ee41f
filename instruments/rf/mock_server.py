"""The mock microwave generator as a real SCPI instrument: a TCP server on 127.0.0.1 speaking newline-terminated
SCPI (a "raw socket" instrument, like port 5025 of a lab generator), reached through pyvisa-py as
``TCPIP::127.0.0.1::<port>::SOCKET`` — the same code path as a generator on the lab network.

    with MockScpiServer(dialect="smb100a", state=microscope.state) as server:
        rf = ScpiRfSource(server.resource_name, ...)

Port 0 (the default) asks the OS for a free port; ``server.port`` tells which. One thread accepts, one thread
serves each connection; ``stop()`` closes every socket and joins every thread. Faults (``RfFaults``) make it
drop a reply, close the connection or answer garbage, to test the driver's error handling.
"""

import select
import socket
import threading

from ..faults import FaultCounter, RfFaults
from .mock_generator import MockGenerator

GARBAGE_REPLY = b"\xff\xfe#!\x15garbage\n"
_POLL_S = 0.05


class MockScpiServer:
    """A mock generator (``MockGenerator``) served over TCP. Thread-safe; a context manager."""

    def __init__(self, dialect="smb100a", state=None, faults=None, host="127.0.0.1", port=0):
        self.generator = MockGenerator(dialect, state)
        self.faults = faults if faults is not None else RfFaults()
        self._counter = FaultCounter()
        self._fault_lock = threading.Lock()
        self._host, self._requested_port = host, port
        self._listener = None
        self._stop = threading.Event()
        self._threads = []
        self._connections = set()
        self._connections_lock = threading.Lock()
        self.port = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self):
        """Listen and serve in background threads; return self (``port`` is then set)."""
        if self._listener is not None:
            return self
        self._stop.clear()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, self._requested_port))
        listener.listen(8)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, "mock-scpi-accept")
        return self

    def stop(self):
        """Close the listener and every connection and join all threads (idempotent)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._connections_lock:
            for conn in list(self._connections):
                _close_quietly(conn)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5.0)
        self._threads = [t for t in self._threads if t.is_alive()]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def resource_name(self):
        """The VISA resource string of this server."""
        return f"TCPIP::{self._host}::{self.port}::SOCKET"

    @property
    def connection_count(self):
        with self._connections_lock:
            return len(self._connections)

    def arm_faults(self, faults):
        """Replace the faults and restart their command count (tests use this to fault "from now on")."""
        with self._fault_lock:
            self.faults = faults
            self._counter.reset()

    # --- threads -----------------------------------------------------------------------------------------
    def _spawn(self, target, name, *args):
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        listener = self._listener
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([listener], [], [], _POLL_S)
                if not ready:
                    continue
                conn, _ = listener.accept()
            except (OSError, ValueError):  # listener closed by stop()
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._connections_lock:
                self._connections.add(conn)
            self._spawn(self._serve, "mock-scpi-connection", conn)

    def _serve(self, conn):
        buffer = b""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([conn], [], [], _POLL_S)
                if not ready:
                    continue
                data = conn.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    raw, buffer = buffer.split(b"\n", 1)
                    if not self._handle(conn, raw.strip(b"\r")):
                        return
        except (OSError, ValueError):
            return
        finally:
            with self._connections_lock:
                self._connections.discard(conn)
            _close_quietly(conn)

    def _handle(self, conn, raw):
        """Execute one line, apply the faults, send the reply. False means: drop this connection."""
        line = raw.decode("ascii", errors="replace").strip()
        with self._fault_lock:
            self._counter.tick(_message_units(line))
            if self._counter.due("disconnect", self.faults.disconnect_after_n_commands):
                return False
        if not line:
            return True
        reply = self.generator.execute_line(line)
        if reply is None:
            return True
        with self._fault_lock:
            if self._counter.due("timeout", self.faults.timeout_after_n_commands):
                return True
            if self._counter.due("garbage", self.faults.garbage_reply_after_n_commands):
                conn.sendall(GARBAGE_REPLY)
                return True
            trickle = self._counter.due("trickle", self.faults.trickle_reply_after_n_commands)
            endless = self._counter.due("endless", self.faults.endless_reply_after_n_commands)
        if trickle:
            return self._trickle(conn, reply.encode("ascii") + b"\n")
        if endless:
            return self._endless(conn)
        conn.sendall(reply.encode("ascii") + b"\n")
        return True

    def _trickle(self, conn, reply):
        for i in range(len(reply)):
            if self._stop.wait(self.faults.trickle_interval_s):
                return False
            conn.sendall(reply[i:i + 1])
        return True

    def _endless(self, conn):
        """Send bytes without an end until the client hangs up (or the server stops): drop the connection."""
        block = b"4" * 4096
        while not self._stop.is_set():
            conn.sendall(block)  # raises once the client has closed its end
        return False


def _message_units(line):
    """The commands in one program message, for the fault counts (an empty line counts one, as it always has)."""
    return max(1, sum(1 for unit in line.split(";") if unit.strip()))


def _close_quietly(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
