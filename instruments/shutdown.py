"""Ending a run safely on a termination signal: SIGTERM (``kill``, a service manager, a logout) and SIGHUP
(the terminal closed) become an exception in the main thread, as Ctrl-C (SIGINT) already is, so the
``with`` blocks around an acquisition run their exits: the sweep engine switches the RF off and closes the
shutter and records the session as "aborted" with every completed step, ``open_instruments`` closes each
instrument (RF off again, shutter closed), and the command exits non-zero.

    with termination_signals_raise():
        with open_instruments(config) as inst:
            engine.run()
    # except TerminationRequested as exc: return exc.exit_code   (128 + the signal number, as shells do)

Qt-free; the GUI's window-close path stops its sweep thread itself.
"""

import contextlib
import signal
import threading

HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class TerminationRequested(KeyboardInterrupt):
    """A termination signal arrived. A KeyboardInterrupt, so every code that already treats Ctrl-C as "stop
    now, make safe, mark aborted" (the sweep engine, SessionWriter's context manager) treats it the same."""

    def __init__(self, signum):
        self.signum = int(signum)
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"{self.signal_name} received: the run was stopped")

    @property
    def exit_code(self):
        return 128 + self.signum


def exit_code_for(exc):
    """The process exit status for a run ended by ``exc``: 128 + signal for a signal (SIGINT: 130), else 1."""
    if isinstance(exc, TerminationRequested):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return 128 + signal.SIGINT
    return 1


@contextlib.contextmanager
def termination_signals_raise(signals=HANDLED_SIGNALS):
    """Within the block, the given signals raise TerminationRequested in the main thread; the previous
    handlers are restored on leaving. Only the first signal raises: later ones (a second SIGTERM while the
    RF is being switched off) are ignored until the block ends, so the clean-up itself is never cut short.
    Outside the main thread (where Python cannot install handlers) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = []

    def handler(signum, _frame):
        if raised:
            return
        raised.append(signum)
        raise TerminationRequested(signum)

    previous = {}
    try:
        for signum in signals:
            previous[signum] = signal.signal(signum, handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
