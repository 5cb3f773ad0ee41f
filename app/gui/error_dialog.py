"""Errors shown to the user: what went wrong and what to do, never a bare traceback; each is also logged."""

import logging
import traceback

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

log = logging.getLogger("nvscope.app")


class ErrorDialog(QMessageBox):
    """A non-blocking (window-modal) error box: the message, what to do, and the details on request."""

    def __init__(self, parent, title, message, what_to_do, details=""):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(f"nvscope — {title}")
        self.setText(message)
        self.setInformativeText(what_to_do)
        if details:
            self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


class ErrorReporter:
    """``report(title, message, what_to_do, exc=None)`` logs the error and opens an ``ErrorDialog``."""

    def __init__(self, parent):
        self.parent = parent
        self.last_dialog = None
        self.count = 0

    def report(self, title, message, what_to_do, exc=None):
        details = "".join(traceback.format_exception(exc)) if exc is not None else ""
        log.error("%s: %s (%s)", title, message, what_to_do, exc_info=exc)
        self.count += 1
        dialog = ErrorDialog(self.parent, title, message, what_to_do, details)
        dialog.destroyed.connect(self._forget)
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def _forget(self, *_):
        self.last_dialog = None
