"""Ending a run safely on a termination signal: SIGTERM (``kill``, a service manager, a logout) and SIGHUP
(the terminal closed) become an exception in the main thread, as Ctrl-C (SIGINT) already is, so the
``with`` blocks around an acquisition run their exits: the sweep engine switches the RF off and closes the
shutter and records the session as "aborted" with every completed step, ``open_instruments`` closes each
instrument (RF off again, shutter closed), and the command exits non-zero.

    with termination_signals_raise():
        with open_instruments(config) as inst:
            engine.run()
    # except TerminationRequested as exc: return exc.exit_code   (128 + the signal number, as shells do)

A signal that arrives while the instruments are being made safe and closed (after a sweep that finished, so
no earlier signal is being handled) waits until they are: ``signals_held`` around the shutdown.

Qt-free; the GUI's window-close path stops its sweep thread itself.
"""

import contextlib
import os
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


@contextlib.contextmanager
def signals_held(signals=(signal.SIGINT, *HANDLED_SIGNALS)):
    """Within the block the given signals wait: a clean-up (RF off, shutter closed, instruments closed) runs to its
    end. On leaving, the first signal that arrived goes to the handler that was there before (for
    ``termination_signals_raise``'s: TerminationRequested; Ctrl-C's default: KeyboardInterrupt; an ignored
    signal stays ignored; a default action, e.g. SIGTERM's, is taken). Outside the main thread it does nothing
    (signals reach only the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = {}
    try:
        for signum in signals:
            previous[signum] = signal.signal(signum, lambda signum, _frame: arrived.append(signum))
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        if arrived:
            _deliver(arrived[0], previous.get(arrived[0]))


def _deliver(signum, handler):
    if handler is signal.SIG_IGN or handler is None:
        return
    if callable(handler):
        handler(signum, None)
    else:  # SIG_DFL: let the default action happen now, to this process
        os.kill(os.getpid(), signum)
