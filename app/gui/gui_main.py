"""Start the desktop app (Qt lives only in app/gui/): the mock microscope unless a configuration names hardware."""

import contextlib
import gc
import logging
import signal
import sys

from PyQt6 import sip
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from app.core.factory_backend import make_backend
from app.gui import theme
from app.gui.main_window import MainWindow
from app.gui.qt_system import display_problem
from instruments.errors import ConfigError
from instruments.shutdown import HANDLED_SIGNALS, TerminationRequested

USE_MOCKS = "Use the virtual microscope"

log = logging.getLogger("nvscope.app")


def run_gui(args, consent=None):
    """Start the window; 2 when it cannot start (no display, or a lab configuration refused and the user quits).
    ``consent(problem) -> bool`` asks whether to use the mocks instead of an unusable configuration (default:
    ``ask_mock_consent``, a dialog)."""
    no_display = display_problem()  # before QApplication: Qt would abort with its own message
    if no_display is not None:
        print(no_display, file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nvscope")
    app.setOrganizationName("nvscope")
    theme.apply_theme(app)
    backend, problem = choose_backend(args.config)
    if problem is not None and not (consent or ask_mock_consent)(problem):
        backend.close()
        print(f"nvscope: the configuration {args.config} cannot be used: {problem}", file=sys.stderr)
        return 2
    window = MainWindow(backend)
    freeze_startup_objects()
    previous_hook = sys.excepthook
    _route_uncaught_exceptions(window)
    try:
        with signals_close_the_app(app, window) as received:
            window.show()
            if args.session:
                window.open_session(args.session)
            status = app.exec()
        return 128 + received[0] if received else status
    finally:
        sys.excepthook = previous_hook
        delete_window(window)


@contextlib.contextmanager
def signals_close_the_app(app, window=None):
    """Within the block, Ctrl-C (SIGINT), SIGTERM and SIGHUP close every window, as Quit does: the main window's
    shutdown stops the sweep, switches the RF off and closes the session file with the completed steps (its
    "aborted" reason names the signal, as ``nvscope acquire`` writes it); an open dialog closes too, so nothing
    waits for a click. Yields the list the first signal's number is put in (the caller exits with 128 + it). Later
    signals are ignored while the windows close. Without it Python raised KeyboardInterrupt inside whichever Qt
    slot was running: a traceback, and the app went on."""
    received = []

    def handler(signum, _frame):
        if not received:
            received.append(signum)
            if window is not None:
                window.close_reason = str(TerminationRequested(signum))  # "SIGTERM received: the run was stopped"
            QTimer.singleShot(0, app.closeAllWindows)  # from the event loop, not inside the interrupted code

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, *HANDLED_SIGNALS)}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def choose_backend(config):
    """(instrument backend, problem or None) for the configuration file ``config`` (None: the defaults, all
    mocks). A configuration that is missing, invalid or names hardware this build cannot drive gives the mocks
    and the reason; ``run_gui`` uses the mocks only if the user agrees (a lab must never measure the virtual
    sample without noticing). If even the defaults cannot be used, SystemExit says why."""
    try:
        return make_backend(config), None
    except ConfigError as exc:
        if config is None:  # the defaults themselves cannot be used: nothing to fall back to
            raise SystemExit(f"nvscope cannot start: {exc}") from exc
        return make_backend(None), exc


def mock_consent_box(problem):
    """The question asked when the configuration cannot be used: the reasons, 'Use the virtual microscope' or
    'Quit' (the default: nothing is measured on mocks unless asked for)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Instrument configuration cannot be used",
                      f"The instrument configuration cannot be used:\n\n{problem}")
    box.setInformativeText("Fix the file and start nvscope again, or work on the virtual microscope (mock "
                           "instruments, a simulated sample: nothing is measured on real hardware).")
    box.addButton(USE_MOCKS, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton("Quit", QMessageBox.ButtonRole.RejectRole))
    return box


def ask_mock_consent(problem):
    box = mock_consent_box(problem)
    box.exec()
    return box.clickedButton() is not None and box.clickedButton().text() == USE_MOCKS


def delete_window(window):
    """After the event loop: shut the window down (idempotent: sweep stopped, RF off, files closed) and delete it
    while the QApplication still exists. A window left for the interpreter's exit is destroyed by PyQt's exit
    clean-up in no set order, which crashed now and then (SIGSEGV in sip's ``cleanup_on_exit``, after everything
    had been saved; seen in about 1 run in 8 of the GUI benchmark, whose window was left that way)."""
    if sip.isdeleted(window):
        return
    window.shutdown()
    sip.delete(window)


def freeze_startup_objects():
    """Move everything made at start-up (Qt wrappers, pyqtgraph items, numba dispatchers) out of the garbage
    collector's view: a full collection over them holds the GIL for ~50 ms, a visible stall of the GUI."""
    gc.collect()
    gc.freeze()


def _route_uncaught_exceptions(window):
    """An exception in a Qt slot would otherwise only reach stderr: show it and log it."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        window.errors.report("Unexpected error", f"{exc_type.__name__}: {exc}",
                             "The app keeps running. If this repeats, send the log file to the developers.",
                             exc.with_traceback(tb))

    sys.excepthook = hook
