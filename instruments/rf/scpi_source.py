"""SCPI microwave generator over pyvisa (R&S SMB100A, Keysight MXG, SRS SG384): implements ``RfSource``.

Every setting is followed by a read of the instrument's error queue (``:SYST:ERR?`` / ``LERR?``), so a setter
returns only when the instrument has accepted it, and a rejected setting raises ``InstrumentReplyError`` with
the instrument's own message. The setting and that query go out as one compound message
(``OUTP 1;:SYST:ERR?``: one round trip) unless the dialect or ``compound_messages=False``
(config: ``rf.compound_messages``) says to send them apart. Limits are checked before anything is sent.
Every read and write has the configured timeout; transport failures become ``InstrumentTimeoutError`` /
``InstrumentDisconnectedError``. Connecting reads ``*IDN?``, checks the model against the dialect, clears the
status and switches the output off, so the app always starts from a known, safe state.
"""

import functools
import select
import socket
import threading

import pyvisa
from pyvisa import constants

from ..bounded_read import ReplyDeadlineError, ReplyTooLongError, read_reply, session_socket
from ..connection import close_quietly, set_up_or_close
from ..errors import (
    ConfigError,
    InstrumentDisconnectedError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from .dialects import DIALECTS
from .interface import RfLimits

_MAX_ERRORS_READ = 16
_DRAIN_TIMEOUT_MS = 20
_COMPOUND_HINT = (" It has not answered a setting sent with its error query in one message yet: if it answers single "
                  "commands, its firmware may not take them; set rf.compound_messages = false.")


def _locked(method):
    """One transaction at a time: a setting and its error-queue read must not interleave with another thread's
    I/O (e.g. the GUI's abort switching the RF off while the sweep thread is mid-command)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


class ScpiRfSource:
    """An SCPI generator at ``resource_name`` speaking ``dialect`` ("smb100a", "mxg", "sg384" or an
    ``RfDialect``). ``resource_manager`` defaults to pyvisa-py (``"@py"``); tests pass a pyvisa-sim one.
    ``compound_messages``: send each setting with its error query as one message where the dialect allows it."""

    def __init__(self, resource_name, dialect="smb100a", limits=None, timeout_s=1.0, resource_manager=None,
                 compound_messages=True):
        self.resource_name = resource_name
        if isinstance(dialect, str):
            if dialect not in DIALECTS:
                raise ConfigError(f"rf.dialect = {dialect!r} is not known; it must be one of "
                                  + ", ".join(repr(d) for d in DIALECTS) + ".")
            dialect = DIALECTS[dialect]
        self.dialect = dialect
        self.limits = limits if limits is not None else RfLimits()
        self.timeout_s = float(timeout_s)
        self.compound_messages = bool(compound_messages) and dialect.compound_messages
        self._rm = resource_manager
        self._resource = None
        self._identity = ""
        self._resync = False
        self._compound_answered = False
        """A compound message has been answered: the instrument takes them (a later timeout is no hint of not)."""
        self._lock = threading.RLock()
        self._closed = False
        self._connect()

    # --- connection --------------------------------------------------------------------------------------
    def _connect(self):
        if self._rm is None:
            self._rm = pyvisa.ResourceManager("@py")
        timeout_ms = max(1, round(self.timeout_s * 1000))
        try:
            self._resource = self._rm.open_resource(
                self.resource_name, read_termination="\n", write_termination="\n",
                timeout=timeout_ms, open_timeout=timeout_ms)
        except (pyvisa.errors.Error, OSError, ValueError) as err:
            raise InstrumentDisconnectedError(
                f"cannot open the RF generator at {self.resource_name!r}: {err}. Check that it is switched on "
                f"and reachable, and the address (config: rf.resource).") from err
        sock = self._socket()
        if sock is not None:  # small commands must not wait for Nagle's algorithm
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        set_up_or_close(self._set_up, self._close_resource)

    def _set_up(self):
        """Check the identity, clear the status, switch the output off."""
        self._identity = self._query(self.dialect.identify).strip()
        if not self.dialect.identity_matches(self._identity):
            raise ConfigError(
                f"the RF generator at {self.resource_name!r} identifies as {self._identity!r}, which is not a "
                f"{'/'.join(self.dialect.models)}; set rf.dialect to match the instrument.")
        self._write(self.dialect.clear_status)
        self._set(self.dialect.output_command(False))

    @_locked
    def reconnect(self):
        """Drop the connection and open a new one (e.g. after the instrument dropped it)."""
        self._close_resource()
        self._connect()

    def _close_resource(self):
        self._resource = close_quietly(self._resource, (pyvisa.errors.Error, OSError))

    @_locked
    def close(self):
        """Switch the output off (``ensure_output_off``), then disconnect, also when that failed (the error is
        then raised: an output that may still be on is never silent). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.ensure_output_off()
        finally:
            self._close_resource()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"ScpiRfSource({self.resource_name!r}, dialect={self.dialect.name!r})"

    # --- the RfSource interface --------------------------------------------------------------------------
    def identity(self):
        """The ``*IDN?`` reply read on connecting."""
        return self._identity

    def set_frequency_hz(self, freq_hz):
        """Set the CW frequency (Hz) after checking it against the configured limits."""
        self._set(self.dialect.frequency_command(self.limits.check_frequency_hz(freq_hz)))

    def frequency_hz(self):
        return self._query_float(self.dialect.query_frequency)

    def set_power_dbm(self, power_dbm):
        """Set the output level (dBm) after checking it against the configured maximum."""
        self._set(self.dialect.power_command(self.limits.check_power_dbm(power_dbm)))

    def power_dbm(self):
        return self._query_float(self.dialect.query_power)

    def set_output(self, on):
        self._set(self.dialect.output_command(bool(on)))

    def output_on(self):
        reply = self._query(self.dialect.query_output).strip().upper()
        if reply in ("1", "ON"):
            return True
        if reply in ("0", "OFF"):
            return False
        raise InstrumentReplyError(f"{self._name()} answered {reply!r} to {self.dialect.query_output!r}; "
                                   "expected 1/0 or ON/OFF.")

    @_locked
    def ensure_output_off(self):
        """Switch the output off; if the connection is gone or hangs, reconnect once and try again."""
        try:
            self.set_output(False)
        except (InstrumentTimeoutError, InstrumentDisconnectedError, InstrumentReplyError) as first:
            self.reconnect()  # connecting switches the output off and reads the error queue
            if self.output_on():
                raise InstrumentReplyError(
                    f"{self._name()} still reports its output on after switching it off.") from first

    # --- I/O -----------------------------------------------------------------------------------------------
    def _name(self):
        model = self._identity.split(",")[1].strip() if self._identity.count(",") >= 1 else "RF generator"
        return f"{model} at {self.resource_name}"

    @_locked
    def _set(self, command):
        """Send a setting and read the error queue (in one message, or two); raise with the instrument's
        message if it objected. Errors beyond the first are read one query at a time, as many as are queued."""
        if self.compound_messages:
            reply = self._query(self.dialect.checked_setting(command))
            self._compound_answered = True
        else:
            self._write(command)
            reply = self._query(self.dialect.query_error)
        errors = []
        for _ in range(_MAX_ERRORS_READ):
            code, message = self.dialect.parse_error(reply)
            if code == 0:
                break
            errors.append(f"{code}, {message}")
            if len(errors) < _MAX_ERRORS_READ:
                reply = self._query(self.dialect.query_error)
        if errors:
            raise InstrumentReplyError(f"{self._name()} rejected {command!r}: " + "; ".join(errors))

    def _query_float(self, command):
        reply = self._query(command)
        try:
            return float(reply.strip())
        except ValueError:
            raise InstrumentReplyError(f"{self._name()} answered {reply!r} to {command!r}; expected a number."
                                       ) from None

    @_locked
    def _write(self, command):
        self._io(lambda: self._resource.write(command), command)

    @_locked
    def _query(self, command):
        def ask():  # not pyvisa's query(): its read has no overall deadline and no size cap (bounded_read.py)
            self._resource.write(command)
            return read_reply(self._resource, self.timeout_s, f"{self._name()} answering {command!r} "
                              "(config: rf.timeout_s)", "\n")
        return self._io(ask, command)

    def _io(self, operation, command):
        if self._resource is None:
            raise InstrumentDisconnectedError(f"the RF generator at {self.resource_name} is not connected "
                                              f"(closed, or lost earlier); cannot send {command!r}.")
        if self._resync:
            self._discard_pending_input()
        try:
            return operation()
        except (ReplyDeadlineError, ReplyTooLongError):
            self._close_resource()  # the stream is out of step for good; ensure_output_off reconnects once
            raise
        except pyvisa.errors.VisaIOError as err:
            self._resync = True
            if err.error_code != constants.StatusCode.error_timeout:
                raise self._disconnected(command, err) from err
            if self._peer_closed():
                raise self._disconnected(command, "the instrument closed the connection") from err
            raise InstrumentTimeoutError(
                f"{self._name()} did not answer {command!r} within {self.timeout_s:g} s "
                "(config: rf.timeout_s)." + ("" if self._compound_answered or ";" not in command
                                             else _COMPOUND_HINT)) from err
        except (pyvisa.errors.InvalidSession, OSError) as err:
            raise self._disconnected(command, err) from err
        except UnicodeDecodeError as err:
            self._resync = True
            raise InstrumentReplyError(f"{self._name()} answered {command!r} with bytes that are not text "
                                       f"({err.object[:32]!r}): a garbled reply.") from err

    def _disconnected(self, command, reason):
        return InstrumentDisconnectedError(
            f"lost the connection to {self._name()} at {command!r}: {reason}. Check the instrument and the "
            "cable/network; the safety shutdown reconnects once to switch the output off.")

    def _discard_pending_input(self):
        """After a timeout or a garbled reply, drop whatever late bytes are waiting so replies pair up again.
        (Not pyvisa's ``clear()``: pyvisa-py's loops forever on a socket the peer has closed.)"""
        self._resync = False
        if self._peer_closed():
            return  # the next operation reports the lost connection
        try:
            for _ in range(_MAX_ERRORS_READ):
                read_reply(self._resource, _DRAIN_TIMEOUT_MS / 1000, "draining", "\n")
        except (pyvisa.errors.VisaIOError, OSError, UnicodeDecodeError, ReplyDeadlineError, ReplyTooLongError):
            pass

    def _socket(self):
        """The TCP socket under a pyvisa-py SOCKET session, or None (other backends, other interfaces)."""
        return session_socket(self._resource)

    def _peer_closed(self):
        """True if the TCP peer has closed the socket (pyvisa-py reports that only as a read timeout)."""
        sock = self._socket()
        if sock is None:
            return False
        try:
            ready, _, _ = select.select([sock], [], [], 0)
            return bool(ready) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
