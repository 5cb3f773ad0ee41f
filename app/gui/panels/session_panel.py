"""The session dock: where the next acquisition is written, the sample's metadata (name, SPION concentration,
notes; stored when the file is created and editable later) and, for an open file, what it holds."""

import json
import math

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QDoubleValidator
from PyQt6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

CONCENTRATION_KEY = "spion_concentration_ug_per_ml"


def describe_session(session):
    """A few lines on an open session: status, dates, steps, the plan and the instrument settings (JSON)."""
    plan = dict(session.plan or {})
    freq = plan.pop("freq_hz", None)
    lines = [f"status: {session.status}" + (f" — {session.status_reason}" if session.status_reason else ""),
             f"created: {session.created_utc}   finished: {session.finished_utc or '—'}",
             f"nvscope {session.app_version}, schema {session.schema_version}",
             f"steps with data: {session.n_steps_completed} of {session.n_steps}; frame {session.frame_shape}",
             f"cells in the table: {len(session.cells) if session.cells is not None else 0}",
             *snippet_problems(session),
             "", "plan:", json.dumps(plan, indent=1)]
    if freq:
        lines.insert(-1, f"frequencies: {len(freq)} steps, {min(freq) / 1e6:.3f}-{max(freq) / 1e6:.3f} MHz")
    lines += ["", "instrument settings:", json.dumps(session.instrument_settings, indent=1, default=str)]
    if session.truth is not None:
        lines += ["", f"simulated sample: {len(session.truth.get('cells', []))} cells (ground truth in /truth)"]
    return "\n".join(lines)


def snippet_problems(session):
    """Why stored cell snippets were left out on reading (damaged or foreign datasets), one line each."""
    problems = session.cells.snippet_problems if session.cells is not None else []
    return [f"stored cell snippets not shown: {p}" for p in problems]


class SessionPanel(QWidget):
    """``chooseFile()``, ``chooseFolder()`` and ``saveMetadata()`` are the buttons; the window acts on them."""

    chooseFile = pyqtSignal()
    chooseFolder = pyqtSignal()
    saveMetadata = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        files = QGroupBox("Session file")
        grid = QFormLayout(files)
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText("a new file in the data folder, named when Start is pressed")
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.folder.setStyleSheet("color: #444;")
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        self.file_button, self.folder_button = QPushButton("Save to…"), QPushButton("Data folder…")
        self.file_button.setToolTip("choose the file the next acquisition is written to")
        self.folder_button.setToolTip("the folder new session files are named in automatically")
        row.addWidget(self.file_button)
        row.addWidget(self.folder_button)
        row.addStretch(1)
        grid.addRow("File", self.path)
        grid.addRow("Folder", self.folder)
        grid.addRow(buttons)
        layout.addWidget(files)
        sample = QGroupBox("Sample")
        form = QFormLayout(sample)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. HeLa, 100 µg/ml, dish 3")
        self.concentration = QLineEdit()
        self.concentration.setValidator(QDoubleValidator(0.0, 1e6, 3))
        self.concentration.setToolTip("SPION labelling concentration (µg/ml); empty if unknown")
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(70)
        self.save_button = QPushButton("Save to the file")
        self.save_button.setToolTip("write the sample fields into the session file shown above")
        self.save_button.setEnabled(False)
        form.addRow("Name", self.name)
        form.addRow("SPION (µg/ml)", self.concentration)
        form.addRow("Notes", self.notes)
        form.addRow(self.save_button)
        layout.addWidget(sample)
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        self.info.setPlaceholderText("what an open session file holds (File > Open)")
        self.info.setStyleSheet("font-family: monospace; font-size: 11px;")
        layout.addWidget(self.info, 1)
        self.file_button.clicked.connect(self.chooseFile)
        self.folder_button.clicked.connect(self.chooseFolder)
        self.save_button.clicked.connect(self.saveMetadata)

    def metadata(self):
        """The sample fields as the session stores them (concentration in µg/ml, None when empty)."""
        text = self.concentration.text().strip().replace(",", ".")
        try:
            concentration = float(text) if text else None
        except ValueError:
            concentration = None
        return {"name": self.name.text().strip(), CONCENTRATION_KEY: concentration,
                "notes": self.notes.toPlainText().strip()}

    def set_metadata(self, metadata):
        metadata = metadata or {}
        self.name.setText(str(metadata.get("name") or ""))
        value = metadata.get(CONCENTRATION_KEY)
        self.concentration.setText(f"{value:g}" if isinstance(value, int | float) and math.isfinite(value) else "")
        self.notes.setPlainText(str(metadata.get("notes") or ""))

    def set_file(self, path, can_save_metadata):
        self.path.setText(str(path) if path else "")
        self.path.setToolTip(str(path) if path else "")
        self.save_button.setEnabled(bool(path) and can_save_metadata)

    def set_folder(self, folder):
        self.folder.setText(str(folder))

    def set_review(self, reviewing):
        for widget in (self.file_button, self.folder_button):
            widget.setEnabled(not reviewing)
