"""File > Import… and File > Export…: the dialogs' values handed to ``app/core/data_exchange.py`` (import and
data export run in a worker) and to ``app/gui/figure_export.py`` (figures). An import's report is shown, then
the new session opens in review mode."""

import logging
import os

from app.core.data_exchange import run_export, run_import
from app.gui.exchange_dialogs import ExportDialog, ImportDialog
from app.gui.figure_export import export_plot

log = logging.getLogger("nvscope.app")


class DataActions:
    def __init__(self, window):
        self.window = window
        self.dialog = None
        """The dialog open now (tests fill it with ``set_values`` and ``accept()`` it)."""
        self.last_report = None
        self.last_export = None
        self.pending = 0

    def _folder(self):
        return str(self.window.session_actions.data_dir)

    def _report(self, title, exc, what_to_do):
        self.window.errors.report(title, str(exc), what_to_do, exc)

    # -- import ----------------------------------------------------------------------------------------------
    def show_import_dialog(self):
        self.dialog = dialog = ImportDialog(self.window, self._folder())
        dialog.accepted.connect(lambda: self._import_form(dialog))
        dialog.open()
        return dialog

    def _import_form(self, dialog):
        try:
            request = dialog.request()
        except ValueError as exc:
            return self._report("Cannot import", exc, "Fill the form again (File > Import…).")
        return self.import_file(request)

    def import_file(self, request):
        """Import ``request`` (an ``ImportRequest``) in a worker; then show its report and open the session."""
        self.pending += 1
        self.window.statusBar().showMessage(f"importing {request.source}…")
        self.window.tasks.submit(lambda: run_import(request), on_done=self._imported,
                                 on_error=lambda exc: self._failed("Cannot import the file", exc,
                                                                   "Correct the form as the message says and "
                                                                   "import again (File > Import…)."))

    def _imported(self, report):
        self.pending -= 1
        self.last_report = report
        log.info("imported %s into %s: %s", report.provenance.get("source_file"), report.path,
                 "; ".join(report.messages))
        self.window.show_info(f"imported into {os.path.basename(report.path)}",
                              "\n".join([*report.messages, "", f"Session file: {report.path}"]))
        self.window.open_session(report.path)

    def _failed(self, title, exc, what_to_do):
        self.pending -= 1
        self._report(title, exc, what_to_do)

    # -- export ----------------------------------------------------------------------------------------------
    def show_export_dialog(self):
        self.dialog = dialog = ExportDialog(self.window, self._folder())
        dialog.accepted.connect(lambda: self.export(dialog.values()))
        dialog.open()
        return dialog

    def plot_of(self, view):
        """The pyqtgraph PlotItem of a view ('field map', 'spin contrast', 'camera', 'spectrum')."""
        w = self.window
        return {"field map": w.field_view.view.plot, "spin contrast": w.contrast_view.plot,
                "camera": w.camera_view.plot, "spectrum": w.spectrum_view.plot}[view]

    def export(self, values):
        """``values`` as ``ExportDialog.values()`` gives them. Figures are written now; data from the session
        file in a worker (``last_export`` holds the paths written)."""
        path = values.get("path")
        if not path:
            return self._report("Cannot export", ValueError("no file was chosen."), "Choose the file to write.")
        if values.get("figure"):
            try:
                written = export_plot(self.plot_of(values["what"]), path, values["fmt"], values.get("width_px", 2000))
            except (OSError, ValueError) as exc:
                return self._report("Cannot export the figure", exc, "Choose another file name or folder.")
            return self._exported([written])
        actions = self.window.session_actions
        session = actions.current_path
        if session is None or not actions.file_is_writable() or actions.busy:
            return self._report("Nothing to export yet", ValueError("there is no finished session file."),
                                "Open a session (File > Open), or wait until the sweep has ended and its results "
                                "are written.")
        self.pending += 1
        self.window.tasks.submit(lambda: run_export(session, path, values["what"], fmt=values.get("fmt")),
                                 on_done=self._data_exported,
                                 on_error=lambda exc: self._failed("Cannot export", exc,
                                                                   "Fit the session first (File > Fit the session "
                                                                   "again) or choose what the file holds."))
        return None

    def _data_exported(self, written):
        self.pending -= 1
        self._exported(written)

    def _exported(self, written):
        self.last_export = list(written)
        self.window.statusBar().showMessage(f"exported {', '.join(os.path.basename(p) for p in written)}")
        return self.last_export
