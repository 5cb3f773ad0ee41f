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
