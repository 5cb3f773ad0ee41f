"""Start / Pause / Stop with a progress bar and the time left."""

import math

from PyQt6.QtWidgets import QGridLayout, QProgressBar, QPushButton, QWidget

from app.gui.steady_label import steady_label


def format_duration(seconds):
    if not math.isfinite(seconds):
        return "—"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


class RunPanel(QWidget):
    def __init__(self, start_action, pause_action, stop_action, parent=None):
        super().__init__(parent)
        self.start_button, self.pause_button, self.stop_button = QPushButton(), QPushButton(), QPushButton()
        for button, action in ((self.start_button, start_action), (self.pause_button, pause_action),
                               (self.stop_button, stop_action)):
            button.clicked.connect(action.trigger)
            action.changed.connect(lambda b=button, a=action: self._mirror(b, a))
            self._mirror(button, action)
        self.start_button.setStyleSheet("QPushButton:enabled { font-weight: bold; }")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("no sweep yet")
        status_holder, self.status = steady_label("idle")  # both change at every refresh: no relayout
        time_left_holder, self.time_left = steady_label("time left: —")
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.start_button, 0, 0)
        grid.addWidget(self.pause_button, 0, 1)
        grid.addWidget(self.stop_button, 0, 2)
        grid.addWidget(self.progress, 1, 0, 1, 3)
        grid.addWidget(status_holder, 2, 0, 1, 2)
        grid.addWidget(time_left_holder, 2, 2)

    @staticmethod
    def _mirror(button, action):
        button.setText(action.text().replace("&", ""))
        button.setEnabled(action.isEnabled())
        button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString()})" if not action.shortcut().isEmpty()
                          else action.toolTip())

    def show_progress(self, snapshot):
        self.progress.setFormat("%v / %m steps" if snapshot.steps_total else "no sweep yet")
        self.progress.setRange(0, max(snapshot.steps_total, 1))
        self.progress.setValue(snapshot.steps_done)
        text = snapshot.status
        if snapshot.status in ("running", "paused") and snapshot.steps_total:
            text += f" — sweep {snapshot.sweep_index + 1}, {snapshot.freq_hz / 1e6:.3f} MHz"
        if snapshot.stage:
            text += f" — {snapshot.stage}"
        self.status.setText(text)
        self.time_left.setText(f"time left: {format_duration(snapshot.time_left_s)}")
