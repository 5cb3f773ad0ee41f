"""Replies that trickle or never end fail within the configured timeout with a typed error, and the driver
then still switches the output off (issue 13). The mock SCPI server runs in a thread, over real TCP."""

import resource
import time

import pytest

from instruments.bounded_read import MAX_REPLY_BYTES, ReplyDeadlineError, ReplyTooLongError, read_reply
from instruments.errors import InstrumentError, InstrumentTimeoutError
from instruments.faults import RfFaults
from instruments.rf.mock_server import MockScpiServer
from instruments.rf.scpi_source import ScpiRfSource

TIMEOUT_S = 1.0
TRICKLE_S = 0.3  # the trickle: 1 byte every 0.3 s, well inside pyvisa's per-read timeout


@pytest.mark.parametrize("faults, error, base", [
    (RfFaults(trickle_reply_after_n_commands=1, trickle_interval_s=TRICKLE_S), ReplyDeadlineError,
     InstrumentTimeoutError),
    # read as it arrives (see bounded_read); on a loaded machine the deadline may still come before the cap
    (RfFaults(endless_reply_after_n_commands=1), (ReplyTooLongError, ReplyDeadlineError), InstrumentError),
])
def test_trickling_and_endless_replies_fail_in_time_and_rf_goes_off(faults, error, base):
    with MockScpiServer("smb100a") as server:
        rf = ScpiRfSource(server.resource_name, "smb100a", timeout_s=TIMEOUT_S)
        rf.set_frequency_hz(2.87e9)
        rf.set_output(True)
        rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        server.arm_faults(faults)
        start = time.monotonic()
        with pytest.raises(error, match="rf.timeout_s") as caught:
            rf.frequency_hz()
        elapsed_s = time.monotonic() - start
        assert isinstance(caught.value, base)
        # one pyvisa read may overrun by the moment it started (< one trickle interval), not more
        assert elapsed_s < TIMEOUT_S + TRICKLE_S + 0.2
        # the cap: the endless reply is not read into memory (it was 2.7 GB); allow for allocator noise
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb < 20 * 1024
        assert server.generator.output_on is True
        rf.ensure_output_off()  # the connection was dropped as out of step: reconnects, switches off
        assert server.generator.output_on is False
        assert rf.frequency_hz() == 2.87e9
        rf.close()


class Babbler:
    """A pyvisa-like resource whose reply never ends, delivered as fast as it is read."""

    timeout = 1000
    session = 1

    class visalib:  # noqa: N801 - mimics the attribute name of pyvisa resources
        @staticmethod
        def read(session, count):
            return b"4" * count, 0

    @staticmethod
    def ignore_warning(*codes):
        import contextlib

        return contextlib.nullcontext()


def test_the_size_cap_stops_an_endless_reply():
    with pytest.raises(ReplyTooLongError, match="exceeded 1000 bytes"):
        read_reply(Babbler(), 10.0, "babbler", "\n", max_bytes=1000)
    assert MAX_REPLY_BYTES >= 64 * 1024


def test_bytes_pyvisa_already_holds_are_read_without_waiting_on_the_socket():
    """A reply pyvisa-py has already taken off the socket (another read took it with the previous one) is read at
    once, not after waiting for the socket until the deadline."""
    import socket
    import time

    import pyvisa

    from instruments.bounded_read import read_reply

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    rm = pyvisa.ResourceManager("@py")
    resource = rm.open_resource(f"TCPIP::127.0.0.1::{port}::SOCKET", read_termination="\n", timeout=2000)
    peer, _ = listener.accept()
    try:
        peer.sendall(b"first\nsecond\n")
        time.sleep(0.1)
        assert resource.read() == "first"  # pyvisa-py reads in chunks: "second\n" now waits in its own buffer
        start = time.monotonic()
        assert read_reply(resource, 1.5, "the test peer", "\n") == "second"
        assert time.monotonic() - start < 0.5
    finally:
        resource.close()
        peer.close()
        listener.close()
        rm.close()
