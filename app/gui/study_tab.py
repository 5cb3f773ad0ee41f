"""The study tab: a self-contained widget showing a labelling study (the same figures and tables as the report).

``StudyTab.load(paths)`` analyses the sessions in a worker thread (running the missing pipeline stages, then the
statistics) and shows the result when it is ready; the GUI polls the worker on a timer and never blocks.
``show_result(result)`` shows an already computed ``analysis.study.StudyResult``.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from PyQt6 import QtCore, QtWidgets

from app.core.study_paths import without_first_passes
from app.core.study_plots import FIGURES
from app.core.study_report import report_html
from app.core.study_runner import run_study_sessions, study_result

_POLL_MS = 200


def analyse_paths(paths, on_progress=None):
    """Run the missing pipeline stages on every session, then the study statistics (worker-thread side), as
    ``nvscope study`` does (``app.core.study_runner``): a session that fails is left out with its reason.
    Returns (``StudyResult``, [(path, reason) of the sessions left out])."""
    def on_result(done, total, _result):
        if on_progress is not None:
            on_progress(done, total)

    run = run_study_sessions(paths, on_result=on_result)
    return study_result(run), run.failures


def _figure_widget(figure):
    """A report figure on a Qt canvas with matplotlib's toolbar (zoom, pan, save): the tab and the HTML report
    show the same figures."""
    widget = QtWidgets.QWidget()
    canvas = FigureCanvasQTAgg(figure)
    layout = QtWidgets.QVBoxLayout(widget)
    layout.addWidget(NavigationToolbar2QT(canvas, widget))
    layout.addWidget(canvas, 1)
    return widget


class StudyTab(QtWidgets.QWidget):
    """Figures (Figure 2d, 3a, 3b, 3c, raw-vs-normalised ranking) and the summary tables of a study."""

    finished = QtCore.pyqtSignal(object)
    """Emitted with the ``StudyResult`` once shown (or with the exception if the analysis failed)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result = None
        self.error = None
        self.left_out = []
        """(path, reason) of the sessions the last study left out."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="study")
        self._future = None
        self._progress = (0, 0)
        self.status = QtWidgets.QLabel("No study loaded: choose the session files of a labelling study.")
        self.status.setWordWrap(True)  # a long status must not widen the dock (and the smallest window)
        self.open_button = QtWidgets.QPushButton("Open sessions…")
        self.open_button.clicked.connect(self._choose_files)
        self.tabs = QtWidgets.QTabWidget()
        self.summary = QtWidgets.QTextBrowser()
        self.tabs.addTab(self.summary, "Summary")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.status, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)

    def load(self, paths):
        """Analyse these session files in the background and show the study when done. The first pass of an
        adaptive measurement given with its adaptive pass is analysed with it, not counted as a session."""
        paths, skipped = without_first_passes([str(p) for p in paths])
        if self._future is not None and not self._future.done():
            self.status.setText("A study is already being analysed; wait for it to finish.")
            return False
        self.error = None
        self._progress = (0, len(paths))
        apart = f" ({len(skipped)} first passes of adaptive runs go with their adaptive pass)" if skipped else ""
        self.status.setText(f"Analysing {len(paths)} sessions{apart}…")
        self.open_button.setEnabled(False)
        self._future = self._executor.submit(analyse_paths, paths, self._set_progress)
        self._timer.start()
        return True

    def is_busy(self):
        return self._future is not None and not self._future.done()

    def _set_progress(self, done, total):
        self._progress = (done, total)  # read by the GUI thread on the next poll (a tuple swap is atomic)

    def _poll(self):
        done, total = self._progress
        if not self._future.done():
            self.status.setText(f"Analysing sessions: {done} of {total} ready…")
            return
        self._timer.stop()
        self.open_button.setEnabled(True)
        try:
            result, left_out = self._future.result()
        except Exception as exc:  # shown to the user; the tab stays usable
            self.error = exc
            self.status.setText(f"Study failed: {exc}")
            self.finished.emit(exc)
            return
        self.show_result(result, left_out)

    def show_result(self, result, left_out=()):
        """Show a computed ``StudyResult``: summary tables and one tab per figure; ``left_out``: (path, reason) of
        the sessions that could not take part, named in the status line."""
        self.result, self.left_out = result, list(left_out)
        summary = result.to_json_dict()
        while self.tabs.count() > 1:
            widget = self.tabs.widget(1)
            self.tabs.removeTab(1)
            widget.deleteLater()
        self.summary.setHtml(report_html(summary, {}))
        for key, caption, builder in FIGURES:
            widget = _figure_widget(builder(result))
            widget.setObjectName(key)
            widget.setToolTip(caption)
            self.tabs.addTab(widget, caption.split(":")[0])
        text = f"{summary['n_sessions']} sessions, {summary['n_cells']} cells"
        if summary.get("b_max_t") is not None:
            text += (f"; B_max {summary['b_max_t'] * 1e6:.2f} uT, half-maximum "
                     f"{summary['half_max_concentration_ug_per_ml']:.0f} ug/ml ({summary['headline_model']}; "
                     f"lower AIC: {summary['preferred_model']} by {summary['delta_aic']:.1f})")
        if self.left_out:
            text += "; left out: " + "; ".join(f"{os.path.basename(p)}: {why}" for p, why in self.left_out)
        self.status.setText(text)
        self.finished.emit(result)

    def _choose_files(self):
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Sessions of the study", "",
                                                          "nvscope sessions (*.h5);;All files (*)")
        if paths:
            self.load(paths)

    def closeEvent(self, event):
        self._timer.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().closeEvent(event)
