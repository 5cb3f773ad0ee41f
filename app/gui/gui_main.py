"""Start the desktop app (Qt lives only in app/gui/): the mock microscope unless a configuration names hardware."""

import gc
import logging
import sys

from PyQt6.QtWidgets import QApplication

from app.core.factory_backend import make_backend
from app.gui import theme
from app.gui.main_window import MainWindow
from instruments.errors import ConfigError

log = logging.getLogger("nvscope.app")


def run_gui(args):
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nvscope")
    app.setOrganizationName("nvscope")
    theme.apply_theme(app)
    backend, problem = choose_backend(args.config)
    window = MainWindow(backend)
    freeze_startup_objects()
    _route_uncaught_exceptions(window)
    window.show()
    if problem is not None:
        window.errors.report("Instruments not available", str(problem),
                             "nvscope started on the virtual microscope with mock instruments instead.")
    if args.session:
        window.open_session(args.session)
    return app.exec()


def choose_backend(config):
    """(instrument backend, problem or None) for the configuration file ``config`` (None: the defaults, all
    mocks). A configuration that is missing, invalid or names hardware this build cannot drive gives the mocks
    and the reason, which the window shows; if even the defaults cannot be used, SystemExit says why."""
    try:
        return make_backend(config), None
    except ConfigError as exc:
        if config is None:  # the defaults themselves cannot be used: nothing to fall back to
            raise SystemExit(f"nvscope cannot start: {exc}") from exc
        return make_backend(None), exc


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
