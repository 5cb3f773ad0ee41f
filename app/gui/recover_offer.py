"""File > Open on a file whose writer was killed (an acquisition, fit or analysis): offer to recover it
(``analysis.session.recover_session``, as ``nvscope recover FILE``), then open it."""

from PyQt6.QtWidgets import QMessageBox

from analysis.session import SessionInUseError, recover_session


def needs_recovery(exc):
    """True for the error of a file left marked "open for writing" or "running" by a writer that may be gone."""
    return isinstance(exc, SessionInUseError) and "nvscope recover" in str(exc)


def offer_recovery(window, path, exc, reopen, file_tasks):
    """Ask; on yes recover ``path`` in the file worker (it refuses while a live writer holds the file), then
    ``reopen(path)``."""
    answer = QMessageBox.question(
        window, "nvscope — recover the session?",
        f"{exc}\n\nRecover it now? Every completed step is kept; a file whose writer still runs is refused.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    if answer != QMessageBox.StandardButton.Yes:
        return None

    def recovered(result):
        window.statusBar().showMessage(result.message)
        reopen(path)

    def failed(err):
        window.errors.report("Cannot recover the session", str(err),
                             "If its writer still runs, let it finish or stop it, then open the file again.", err)

    file_tasks.submit(lambda: recover_session(path), on_done=recovered, on_error=failed)
    return path
