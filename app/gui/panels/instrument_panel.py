"""Instruments: per instrument a status light, mock or real, its identity, and connect / disconnect.

Connecting may block (a real generator answers slowly), so the calls run on a ``TaskRunner`` worker and the
panel is updated when the window's timer polls the runner.
"""

import logging

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

from app.core.calibration_text import calibration_lines
from app.core.instruments import INSTRUMENT_LABELS, INSTRUMENT_NAMES

log = logging.getLogger("nvscope.app")
LIGHTS = {"disconnected": "#9aa0a6", "connecting": "#f0a800", "connected": "#1e9e3e", "fault": "#d93025"}


class InstrumentPanel(QWidget):
    """``stateChanged()`` whenever an instrument's state changes; ``faulted(name, exc)`` when a call fails."""

    stateChanged = pyqtSignal()
    faulted = pyqtSignal(str, object)

    def __init__(self, backend, tasks, parent=None):
        super().__init__(parent)
        self.backend, self.tasks = backend, tasks
        self.states = dict.fromkeys(INSTRUMENT_NAMES, "disconnected")
        self._review = False
        self.lights, self.identities, self.buttons, self.modes = {}, {}, {}, {}
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setColumnStretch(3, 1)
        for row, name in enumerate(INSTRUMENT_NAMES):
            light, mode, identity = QLabel("●"), QLabel(), QLabel("not connected")
            mode.setText("mock" if backend.is_mock(name) else "real")
            mode.setToolTip("a simulated instrument driving the virtual microscope" if backend.is_mock(name)
                            else "real hardware from the configuration")
            identity.setStyleSheet("color: #555;")
            # a real *IDN? reply has no spaces to wrap at and is longer than the dock is wide: it is cut at the
            # dock's edge (the tooltip shows it whole) instead of widening the window
            identity.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            button = QPushButton("Connect")
            button.setFixedWidth(92)
            button.clicked.connect(lambda _checked, n=name: self.toggle(n))
            for col, widget in enumerate((light, QLabel(INSTRUMENT_LABELS[name]), mode)):
                grid.addWidget(widget, 2 * row, col)
            grid.addWidget(button, 2 * row, 4)
            grid.addWidget(identity, 2 * row + 1, 1, 1, 4)
            self.lights[name], self.modes[name], self.identities[name], self.buttons[name] = (
                light, mode, identity, button)
            self._show(name)
        self.calibration_label = QLabel()
        self.show_calibration(getattr(backend, "calibration", None))
        self.calibration_label.setWordWrap(True)
        self.calibration_label.setToolTip("The [microscope] table of the configuration (docs/calibration.md): "
                                          "written into every session and used by every analysis.")
        self.calibration_label.setStyleSheet("color: #333; padding-top: 4px;")
        grid.addWidget(self.calibration_label, 2 * len(INSTRUMENT_NAMES) + 1, 0, 1, 5)
        self.review_note = QLabel("Review mode: a saved session is shown; no instrument is used. "
                                  "File > Back to live acquisition returns to the instruments.")
        self.review_note.setWordWrap(True)
        self.review_note.setStyleSheet("color: #8a5a00; background: #fff4d6; padding: 4px;")
        self.review_note.hide()
        grid.addWidget(self.review_note, 2 * len(INSTRUMENT_NAMES), 0, 1, 5)

    def show_calibration(self, calibration, whose="the instruments"):
        """Show ``calibration`` (the instruments', or in review mode the reviewed session's)."""
        self.calibration_label.setText(f"Calibration of {whose}: none" if calibration is None else
                                       f"Calibration of {whose}:\n" + "\n".join(calibration_lines(calibration)))

    def set_review(self, reviewing):
        """Review mode: the instrument rows are disabled and a note says why."""
        self._review = reviewing
        self.review_note.setVisible(reviewing)
        for name in INSTRUMENT_NAMES:
            for widget in (self.lights[name], self.modes[name], self.identities[name], self.buttons[name]):
                widget.setEnabled(not reviewing)

    def all_connected(self):
        return all(state == "connected" for state in self.states.values())

    def busy(self):
        return any(state == "connecting" for state in self.states.values())

    def toggle(self, name):
        if self.states[name] == "connected":
            self.disconnect(name)
        elif self.states[name] != "connecting":
            self.connect(name)

    def connect_all(self):
        for name in INSTRUMENT_NAMES:
            if self.states[name] in ("disconnected", "fault"):
                self.connect(name)

    def connect(self, name):
        self._set(name, "connecting")
        self.tasks.submit(lambda: self.backend.connect(name),
                          on_done=lambda identity: self._connected(name, identity),
                          on_error=lambda exc: self._failed(name, exc))

    def disconnect(self, name):
        self._set(name, "connecting")
        self.tasks.submit(lambda: self.backend.disconnect(name),
                          on_done=lambda _r: self._set(name, "disconnected", "not connected"),
                          on_error=lambda exc: self._failed(name, exc))

    def set_running(self, running):
        """While a sweep runs nobody disconnects an instrument under it."""
        for button in self.buttons.values():
            button.setEnabled(not running and not self._review)

    def _connected(self, name, identity):
        log.info("%s connected: %s", name, identity)
        self._set(name, "connected", identity)

    def _failed(self, name, exc):
        self._set(name, "fault", f"{type(exc).__name__}: {exc}")
        self.faulted.emit(name, exc)

    def _set(self, name, state, identity=None):
        self.states[name] = state
        if identity is not None:
            self.identities[name].setText(identity)
            self.identities[name].setToolTip(identity)
        self._show(name)
        self.stateChanged.emit()

    def _show(self, name):
        state = self.states[name]
        self.lights[name].setStyleSheet(f"color: {LIGHTS[state]}; font-size: 16px;")
        self.lights[name].setToolTip(state)
        self.buttons[name].setText("Disconnect" if state == "connected" else "Connect")
