"""Entering and leaving review mode: a session file is shown as it was saved (maps, fit, cells, settings,
sample metadata) with no instrument involved. The instrument panel is disabled and marked, Start is disabled,
and a slider under the spin-contrast view browses the frequency steps."""

import logging

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from app.core.adaptive_plan import describe_adaptive
from app.core.review_source import ReviewSource
from app.gui.panels.session_panel import describe_session, snippet_problems

log = logging.getLogger("nvscope.app")


class StepBrowser(QWidget):
    """A slider over the frequency steps of a reviewed session (hidden in live mode)."""

    def __init__(self, on_step, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("browse the spin contrast step by step")
        self.label = QLabel("step")
        self.label.setMinimumWidth(150)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 2)
        row.addWidget(QLabel("Step"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self.slider.valueChanged.connect(on_step)

    def show_for(self, source):
        self.slider.blockSignals(True)
        self.slider.setRange(0, source.session.n_steps - 1)
        self.slider.setValue(source.step)
        self.slider.blockSignals(False)
        self.show_step(source)
        self.show()

    def show_step(self, source):
        self.label.setText(f"{source.step + 1} / {source.session.n_steps}: "
                           f"{source.freq_hz[source.step] / 1e6:.3f} MHz")


def enter_review(window, session):
    """Show ``session`` (an ``analysis.session.Session``) in ``window`` for review."""
    if window.controller.running:
        window.errors.report("Cannot open a session now", "A sweep started while the file was being read.",
                             "Stop the sweep, then open the file again.")
        return
    source = ReviewSource(session, model=window.seams.model)
    window.review = source
    window.cells.set_rows(source.cells)
    window.session_actions.opened(session)
    window.session_panel.info.setPlainText("\n\n".join(filter(None, (describe_session(session),
                                                                       describe_adaptive(session.sample_metadata)))))
    window.session_panel.set_review(True)
    window.session_dock.raise_()
    window.instruments.set_review(True)
    window.camera_view.title.setText("Mean PL, RF off (ADU)")
    window.step_browser.show_for(source)
    window.reset_views()
    window.shown_status = "review"
    maps = source.field_maps()
    if maps is None:
        window.field_view.clear_maps()
    else:
        window.field_view.set_maps(maps, " — saved fit" if session.fit is not None else "")
    window.refresh_all()
    window.setWindowTitle(f"nvscope — review: {session.path}")
    window.statusBar().showMessage(f"review mode: {session.path} ({session.status}, "
                                   f"{session.n_steps_completed}/{session.n_steps} steps"
                                   f"{'' if maps is not None else ', no fit stored'})")
    window.update_actions()
    log.info("review mode: %s", session.path)
    for line in snippet_problems(session):
        log.warning(line)


def leave_review(window):
    """Back to the live instruments (File > Back to live acquisition)."""
    if window.review is None:
        return
    window.review = None
    window.cells.set_rows([])
    window.step_browser.hide()
    window.instruments.set_review(False)
    window.session_panel.set_review(False)
    window.session_panel.info.clear()
    window.session_actions.current_path = window.session_actions.live_path
    window.session_panel.set_file(window.session_actions.live_path, window.session_actions.file_is_writable())
    window.camera_view.title.setText("Camera frame")
    window.reset_views()
    window.shown_status = window.controller.snapshot().status  # its end was reported when it happened
    window.field_view.clear_maps()
    window.refresh_all()
    window.setWindowTitle(f"nvscope — {window.backend.description}")
    window.statusBar().showMessage("live mode")
    window.update_actions()
