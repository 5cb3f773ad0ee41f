"""Reading one reply from a pyvisa resource with an overall deadline and a size cap.

pyvisa's own ``read()`` cannot be trusted with either: its timeout (pyvisa-py's socket and serial sessions)
restarts whenever a byte arrives, so a reply that trickles (1 byte every 0.3 s) never times out, and a reply
that never ends is read until memory runs out. ``read_reply`` reads through ``visalib.read`` a byte at a
time (replies are short; bytes already buffered cost no system call), giving each call only the time left.
"""

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
    saved_ms = resource.timeout
    data = bytearray()
    try:
        # "read 1 of 1 bytes, more may be available" is pyvisa's warning for every byte here
        with resource.ignore_warning(constants.StatusCode.success_max_count_read):
            while not (end and data.endswith(end)):
                left_s = deadline - time.monotonic()
                if left_s <= 0:
                    raise _incomplete(what, timeout_s, data)
                resource.timeout = max(1, min(saved_ms, round(left_s * 1000)))
                try:
                    chunk, status = resource.visalib.read(resource.session, 1)
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
            resource.timeout = saved_ms
        except (pyvisa.errors.Error, OSError):
            pass
    text = bytes(data).decode(encoding)
    return text[: -len(termination)] if termination and text.endswith(termination) else text
