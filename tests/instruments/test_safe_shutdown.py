"""The termination-signal handler itself. The signals sent to a real ``nvscope acquire`` talking to the mock
SCPI server in another process are tested in tests/app/test_acquire_signals.py."""

import signal
import sys
import time

import pytest

from instruments.shutdown import TerminationRequested, exit_code_for, termination_signals_raise

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_handlers_are_restored_and_a_second_signal_does_not_cut_the_clean_up():
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []
    with pytest.raises(TerminationRequested) as caught:
        with termination_signals_raise():
            try:
                signal.raise_signal(signal.SIGTERM)
                time.sleep(1)  # not reached
            finally:
                signal.raise_signal(signal.SIGTERM)  # ignored during the clean-up
                cleaned.append(True)
    assert cleaned == [True]
    assert caught.value.exit_code == 128 + signal.SIGTERM == exit_code_for(caught.value)
    assert exit_code_for(KeyboardInterrupt()) == 130 and exit_code_for(ValueError()) == 1
    assert signal.getsignal(signal.SIGTERM) is before


class _Part:
    """An instrument whose close() can signal this process, as a Ctrl-C at that moment would."""

    def __init__(self, log, name, signum=None):
        self.log, self.name, self.signum = log, name, signum

    def ensure_output_off(self):
        self.log.append(f"{self.name} off")

    def ensure_closed(self):
        self.log.append(f"{self.name} closed")

    def stop_acquisition(self):
        self.log.append(f"{self.name} stopped")

    def close(self):
        if self.signum is not None:
            signal.raise_signal(self.signum)
        self.log.append(f"{self.name} disconnected")


@pytest.mark.parametrize("signum, raised", [(signal.SIGTERM, TerminationRequested), (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_during_the_instruments_shutdown_waits_until_every_one_is_closed(signum, raised):
    from instruments.factory import Instruments

    log = []
    inst = Instruments(_Part(log, "camera", signum), _Part(log, "rf"), _Part(log, "shutter"))
    with pytest.raises(raised) as caught:
        with termination_signals_raise((signal.SIGINT, signal.SIGTERM)):
            with inst:
                pass  # a sweep that finished; the signal comes while the camera disconnects
    assert log == ["rf off", "shutter closed", "camera stopped", "camera disconnected", "rf disconnected",
                   "shutter disconnected"]
    assert inst.rf is None and exit_code_for(caught.value) == 128 + signum


def test_signals_held_leaves_an_ignored_signal_ignored_and_restores_the_handlers():
    from instruments.shutdown import signals_held

    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with signals_held((signal.SIGTERM,)):
            signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
