"""Sweep settings, checked as typed: an unacceptable field turns red and says why (tooltip and the line below
the form); ``formChanged(SweepForm)`` tells the window whether Start may be enabled."""

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.core.sweep_form import ADAPTIVE, DEFAULTS, FIELDS, MODES, SAMPLINGS, TWO_WINDOWS, parse_sweep_form
from app.gui import theme
from instruments.sweep.plan import SCHEMES

_SAMPLING_TIP = ("uniform: every step gets the same pairs; adaptive: a uniform first pass, then the frames go where "
                 "the fitted lines' centres are measured best, marked on the spectrum (docs/adaptive.md)")
_SCHEME_TIPS = {
    "software": "the app switches the RF output on and off around each frame",
    "alternating": "the camera's trigger output drives an RF switch: even frames on, odd frames off",
}


class SweepPanel(QWidget):
    formChanged = pyqtSignal(object)

    def __init__(self, limits, parent=None):
        super().__init__(parent)
        self.limits = limits
        self.edits = {}
        self.mode_box = QComboBox()
        self.mode_box.addItems(MODES)
        self.scheme_box = QComboBox()
        self.scheme_box.addItems(SCHEMES)
        for k, scheme in enumerate(SCHEMES):
            self.scheme_box.setItemData(k, _SCHEME_TIPS[scheme], 3)  # 3 = Qt.ToolTipRole
        self.sampling_box = QComboBox()
        self.sampling_box.addItems(SAMPLINGS)
        self.sampling_box.setToolTip(_SAMPLING_TIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QFormLayout()
        top.addRow("Frequencies", self.mode_box)
        layout.addLayout(top)
        self.window_boxes = {}
        for prefix, title in (("w1", "Window 1 (f-)"), ("w2", "Window 2 (f+)")):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for spec in FIELDS:
                if spec.key.startswith(prefix):
                    form.addRow(spec.label, self._edit_row(spec))
            self.window_boxes[prefix] = box
            layout.addWidget(box)
        acq = QGroupBox("Acquisition")
        form = QFormLayout(acq)
        for spec in FIELDS:
            if not spec.key.startswith(("w1", "w2")):
                form.addRow(spec.label, self._edit_row(spec))
        form.addRow("Scheme", self.scheme_box)
        form.addRow("Sampling", self.sampling_box)
        layout.addWidget(acq)
        self.reason = QLabel()
        self.reason.setObjectName("Reason")
        self.reason.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #444;")
        layout.addWidget(self.reason)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.mode_box.currentTextChanged.connect(self._revalidate)
        self.scheme_box.currentTextChanged.connect(self._revalidate)
        self.sampling_box.currentTextChanged.connect(self._revalidate)
        self.form = None
        self.running = False
        self._revalidate()

    def _edit_row(self, spec):
        edit = QLineEdit(spec.default)
        edit.setToolTip(spec.tooltip)
        edit.setMaximumWidth(130)
        edit.textChanged.connect(self._revalidate)
        self.edits[spec.key] = edit
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(edit)
        unit = QLabel(spec.unit)
        unit.setMinimumWidth(30)
        h.addWidget(unit)
        h.addStretch(1)
        return row

    def values(self):
        out = {key: edit.text() for key, edit in self.edits.items()}
        out["mode"] = self.mode_box.currentText()
        out["scheme"] = self.scheme_box.currentText()
        out["sampling"] = self.sampling_box.currentText()
        return out

    def set_values(self, values):
        values = {**DEFAULTS, **{k: v for k, v in (values or {}).items() if isinstance(v, str)}}
        for key, edit in self.edits.items():
            edit.setText(values[key])
        if values["mode"] in MODES:
            self.mode_box.setCurrentText(values["mode"])
        if values["scheme"] in SCHEMES:
            self.scheme_box.setCurrentText(values["scheme"])
        if values["sampling"] in SAMPLINGS:
            self.sampling_box.setCurrentText(values["sampling"])
        self._revalidate()

    def set_running(self, running):
        self.running = running
        for widget in (*self.edits.values(), self.mode_box, self.scheme_box, self.sampling_box):
            widget.setEnabled(not running)
        self.edits["first_share"].setEnabled(not running and self.sampling_box.currentText() == ADAPTIVE)

    def _revalidate(self, *_):
        two = self.mode_box.currentText() == TWO_WINDOWS
        self.window_boxes["w2"].setVisible(two)
        self.edits["first_share"].setEnabled(not self.running and self.sampling_box.currentText() == ADAPTIVE)
        self.form = parse_sweep_form(self.values(), self.limits)
        for key, edit in self.edits.items():
            spec_tip = next(s.tooltip for s in FIELDS if s.key == key)
            error = self.form.errors.get(key)
            edit.setStyleSheet(theme.INVALID_STYLE if error else "")
            edit.setToolTip(error or spec_tip)
        self.reason.setText("\n".join(self.form.errors.values()))
        self.reason.setVisible(bool(self.form.errors))
        self.summary.setText(self.form.summary() if self.form.valid else "")
        self.formChanged.emit(self.form)
