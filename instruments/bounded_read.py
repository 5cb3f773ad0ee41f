"""Reading one reply from a pyvisa resource with an overall deadline and a size cap.

pyvisa's own ``read()`` cannot be trusted with either: its timeout (pyvisa-py's socket and serial sessions)
restarts whenever a byte arrives, so a reply that trickles (1 byte every 0.3 s) never times out, and a reply
that never ends is read until memory runs out. ``read_reply`` reads through ``visalib.read``, giving each
call only the time left and asking only for bytes that cannot make it wait: on a TCP socket (pyvisa-py's SOCKET
sessions) it waits for the socket to be readable itself and then asks for as many bytes as have arrived, up
to the end mark; elsewhere (serial) one byte at a time. A reply that arrives whole is then one call, not one
per byte, which cost a select and a recv each (about 0.15 ms per reply to the mock generator). pyvisa-py's
read hands out bytes it already holds first; this one leaves none there (it asks for no byte past the mark).
"""

import select
import socket
import time

import pyvisa
from pyvisa import constants

from .errors import InstrumentReplyError, InstrumentTimeoutError

MAX_REPLY_BYTES = 64 * 1024
"""Longer than any reply of the supported instruments (an SCPI error message, an identity string)."""


class ReplyDeadlineError(InstrumentTimeoutError):
    """A reply was still incomplete when its overall timeout ran out (it trickled, or stopped half-way)."""


class ReplyTooLongError(InstrumentReplyError):
    """A reply exceeded MAX_REPLY_BYTES without its end mark: the instrument is babbling."""


def _incomplete(what, timeout_s, data):
    return ReplyDeadlineError(f"{what}: the reply was still incomplete after {timeout_s:g} s ({len(data)} bytes "
                              f"so far: {bytes(data[:40])!r}); the instrument answers too slowly or stopped "
                              "half-way.")


def session_socket(resource):
    """The TCP socket under a pyvisa-py SOCKET session, or None (other backends, other interfaces)."""
    try:
        sock = resource.visalib.sessions[resource.session].interface
    except (AttributeError, KeyError, TypeError, pyvisa.errors.Error):
        return None
    return sock if isinstance(sock, socket.socket) else None


_PEEK_BYTES = 4096


def _ready_count(sock, end, limit, wait_s):
    """How many bytes to ask for so that the read cannot wait: after waiting up to ``wait_s`` for the socket to
    be readable, those received, up to the end mark and ``limit``; 1 when none came (that read then waits out
    what is left of the deadline and reports the timeout). Peeking consumes nothing."""
    try:
        ready, _, _ = select.select([sock], [], [], max(0.0, wait_s))
        waiting = sock.recv(min(limit, _PEEK_BYTES), socket.MSG_PEEK) if ready else b""
    except (OSError, ValueError):
        return 1  # the read itself reports what is wrong with the connection
    stop = waiting.find(end) if end else -1
    return stop + len(end) if stop >= 0 else max(1, len(waiting))


def _held_by_pyvisa(resource):
    """Whether pyvisa-py already holds received bytes for this session (read past a reply by some other read):
    the socket may then have nothing new, and waiting on it here would wait for bytes that have come."""
    try:
        return bool(resource.visalib.sessions[resource.session]._pending_buffer)
    except (AttributeError, KeyError, TypeError):
        return False


def read_reply(resource, timeout_s, what, termination, *, max_bytes=MAX_REPLY_BYTES, encoding="ascii"):
    """One reply of ``resource`` up to ``termination`` (a str, removed), decoded; within ``timeout_s`` in all.

    ``what`` names the instrument, the command and the config key for the messages, e.g. "the SMB100A at
    TCPIP::... answering 'FREQ?' (config: rf.timeout_s)". A silent instrument raises pyvisa's VisaIOError
    (timeout) as before, so callers keep their handling; a trickling one ReplyDeadlineError; a babbling one
    ReplyTooLongError. Decoding errors raise UnicodeDecodeError, as pyvisa's read does."""
    if not hasattr(resource, "visalib"):  # not a pyvisa resource (a test double): its own read
        return resource.read()
    end = termination.encode(encoding)
    deadline = time.monotonic() + timeout_s
    saved_ms = call_ms = resource.timeout
    sock = session_socket(resource)
    data = bytearray()
    try:
        # "read n of n bytes, more may be available" is pyvisa's warning for every count-limited read here
        with resource.ignore_warning(constants.StatusCode.success_max_count_read):
            while not (end and data.endswith(end)):
                left_s = deadline - time.monotonic()
                if left_s <= 0:
                    raise _incomplete(what, timeout_s, data)
                if sock is None or _held_by_pyvisa(resource):
                    count = 1
                else:  # wait here, where the wait is cheap; the read then takes what came, or times out
                    count = _ready_count(sock, end, max_bytes + 1 - len(data), left_s)
                    left_s = deadline - time.monotonic()
                if (ms := max(1, min(saved_ms, round(left_s * 1000)))) != call_ms:
                    resource.timeout = call_ms = ms  # a pyvisa attribute write: only when it changes
                try:
                    chunk, status = resource.visalib.read(resource.session, count)
                except pyvisa.errors.VisaIOError as err:
                    if data and err.error_code == constants.StatusCode.error_timeout:
                        raise _incomplete(what, timeout_s, data) from err  # it began, then stalled
                    raise
                data += chunk
                if len(data) > max_bytes:
                    raise ReplyTooLongError(f"{what}: the reply exceeded {max_bytes} bytes without its end "
                                            f"mark ({bytes(data[:40])!r}...); the instrument is misbehaving.")
                if status == constants.StatusCode.success and not end:
                    break
    finally:
        try:
            if call_ms != saved_ms:
                resource.timeout = saved_ms
        except (pyvisa.errors.Error, OSError):
            pass
    text = bytes(data).decode(encoding)
    return text[: -len(termination)] if termination and text.endswith(termination) else text
