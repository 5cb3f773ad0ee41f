"""The File > Import… and File > Export… dialogs: forms only. ``values()`` / ``set_values(dict)`` read and fill
them (tests and scripts fill a dialog, then ``accept()`` it); the work is done by ``app/gui/data_actions.py``
over ``app/core/data_exchange.py``."""

import os

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.data_exchange import CUBE, EXPORT_FORMATS, FIELD_MAP, FREQ_UNITS, MAP_UNITS, SUFFIX, ImportRequest

INFER = "infer"
NO_BACKGROUND = "none (as given)"
FIGURES = ("field map", "spin contrast", "camera", "spectrum")
"""The views a figure can be made of (``MainWindow.export_view``'s names)."""
DATA = {"field map data": "field-map", "fit maps data": "fit-maps", "cell table data": "cells"}
FIGURE_FORMATS = ("png", "svg")


def _path_row(edit, on_browse):
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(on_browse)
    layout.addWidget(button)
    return row


def _lay_out(dialog, form, note, ok_text):
    """The form, a note under it, and OK (named ``ok_text``) / Cancel; returns the button box."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(QLabel(note))
    layout.addWidget(buttons)
    return buttons


def _float_or_none(text, what):
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number; write it like 1.3, or leave it empty.") from None


class ImportDialog(QDialog):
    """Choose a file and say what it holds (an ODMR cube, or a field map) and in which units."""

    def __init__(self, parent=None, folder=""):
        super().__init__(parent)
        self.setWindowTitle("nvscope — import a cube or a field map")
        self.folder = str(folder)
        self.source, self.out, self.freq = QLineEdit(), QLineEdit(), QLineEdit()
        self.kind = QComboBox()
        self.kind.addItems([CUBE, FIELD_MAP])
        self.cube_var, self.freq_var, self.map_var = QLineEdit(), QLineEdit(), QLineEdit()
        self.cube_var.setPlaceholderText("e.g. M (.mat, .npz)")
        self.freq_var.setPlaceholderText("e.g. Ftot")
        self.map_var.setPlaceholderText("e.g. B111ferro (.mat, .npz)")
        self.freq.setPlaceholderText("frequency list: .npy, .txt, .csv (or in the source: TIFF, variable)")
        self.freq_units = QComboBox()
        self.freq_units.addItems([INFER, *FREQ_UNITS])
        self.freq_units.setToolTip("inferred from the largest value: < 100 GHz, < 1e5 MHz, otherwise Hz")
        self.map_units = QComboBox()
        self.map_units.addItems(MAP_UNITS)
        self.background = QComboBox()
        self.background.addItems([NO_BACKGROUND, "0", "1", "2", "3"])
        self.background.setToolTip("subtract a robust polynomial background of this order from the map")
        self.pixel_size_um = QLineEdit()
        self.pixel_size_um.setPlaceholderText("µm at the sample (required for a map)")
        form = QFormLayout()
        form.addRow("File", _path_row(self.source, self._browse_source))
        form.addRow("It holds", self.kind)
        form.addRow("Cube variable", self.cube_var)
        form.addRow("Frequencies", _path_row(self.freq, self._browse_freq))
        form.addRow("Frequency variable", self.freq_var)
        form.addRow("Frequency units", self.freq_units)
        form.addRow("Map variable", self.map_var)
        form.addRow("Map units", self.map_units)
        form.addRow("Background", self.background)
        form.addRow("Pixel size (µm)", self.pixel_size_um)
        form.addRow("New session file", _path_row(self.out, self._browse_out))
        self.buttons = _lay_out(self, form, "The rule used for what is inferred is shown after the import.", "Import")
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.source.textChanged.connect(self._source_changed)
        self._kind_changed(self.kind.currentText())

    def _kind_changed(self, kind):
        cube = kind == CUBE
        for widget in (self.cube_var, self.freq, self.freq_var, self.freq_units):
            widget.setEnabled(cube)
        for widget in (self.map_var, self.map_units, self.background):
            widget.setEnabled(not cube)

    def _source_changed(self, text):
        if text and not self.out.isModified():  # a default next to the source until the user writes one
            self.out.setText(os.path.splitext(text)[0] + ".h5")

    def _browse_source(self):
        path, _ = QFileDialog.getOpenFileName(self, "Import", self.folder, "cubes and maps (*.npy *.npz *.tif "
                                              "*.tiff *.mat);;all files (*)")
        if path:
            self.source.setText(path)

    def _browse_freq(self):
        path, _ = QFileDialog.getOpenFileName(self, "Frequency list", self.folder, "(*.npy *.txt *.csv *.mat *.npz)")
        if path:
            self.freq.setText(path)

    def _browse_out(self):
        path, _ = QFileDialog.getSaveFileName(self, "New session file", self.out.text() or self.folder,
                                              "nvscope sessions (*.h5)")
        if path:
            self.out.setText(path)
            self.out.setModified(True)

    def values(self):
        background = self.background.currentText()
        return {"source": self.source.text().strip(), "out": self.out.text().strip(), "kind": self.kind.currentText(),
                "cube_var": self.cube_var.text().strip(), "freq": self.freq.text().strip(),
                "freq_var": self.freq_var.text().strip(), "freq_units": self.freq_units.currentText(),
                "map_var": self.map_var.text().strip(), "map_units": self.map_units.currentText(),
                "background_order": None if background == NO_BACKGROUND else int(background),
                "pixel_size_um": self.pixel_size_um.text().strip()}

    def set_values(self, values):
        for name in ("source", "out", "cube_var", "freq", "freq_var", "map_var", "pixel_size_um"):
            if name in values:
                getattr(self, name).setText(str(values[name] if values[name] is not None else ""))
                getattr(self, name).setModified(True)
        for name in ("kind", "freq_units", "map_units"):
            if name in values:
                getattr(self, name).setCurrentText(str(values[name] or INFER))
        if "background_order" in values:
            order = values["background_order"]
            self.background.setCurrentText(NO_BACKGROUND if order is None else str(order))

    def request(self):
        """The form as an ``ImportRequest``; raises ValueError (with what to fix) for a bad entry."""
        v = self.values()
        if not v["source"] or not v["out"]:
            raise ValueError("choose the file to import and the new session file.")
        return ImportRequest(v["source"], v["out"], kind=v["kind"], cube_var=v["cube_var"], freq=v["freq"],
                             freq_var=v["freq_var"], freq_units=None if v["freq_units"] == INFER else v["freq_units"],
                             map_var=v["map_var"], map_units=v["map_units"],
                             pixel_size_um=_float_or_none(v["pixel_size_um"], "pixel size"),
                             background_order=v["background_order"])


class ExportDialog(QDialog):
    """Choose what to export (the session's data, or a view as a figure), the format and the file."""

    def __init__(self, parent=None, folder=""):
        super().__init__(parent)
        self.setWindowTitle("nvscope — export")
        self.folder = str(folder)
        self.what = QComboBox()
        self.what.addItems([*DATA, *(f"{name} figure" for name in FIGURES)])
        self.fmt = QComboBox()
        self.width_px = QSpinBox()
        self.width_px.setRange(100, 20000)
        self.width_px.setValue(2000)
        self.width_px.setSuffix(" px")
        self.width_px.setToolTip("PNG figures: the image's width (the plot is redrawn at this size, not grabbed)")
        self.path = QLineEdit()
        form = QFormLayout()
        form.addRow("Export", self.what)
        form.addRow("Format", self.fmt)
        form.addRow("Width", self.width_px)
        form.addRow("File", _path_row(self.path, self._browse))
        self.buttons = _lay_out(self, form, "Data come from the session file (float32 TIFF with the pixel size, "
                                "MATLAB .mat, CSV); figures are the plot alone, redrawn at the chosen size.", "Export")
        self.what.currentTextChanged.connect(self._what_changed)
        self.fmt.currentTextChanged.connect(self._fmt_changed)
        self._what_changed(self.what.currentText())

    def _formats(self, what):
        return EXPORT_FORMATS[DATA[what]] if what in DATA else FIGURE_FORMATS

    def _what_changed(self, what):
        self.fmt.blockSignals(True)
        self.fmt.clear()
        self.fmt.addItems(self._formats(what))
        self.fmt.blockSignals(False)
        self._fmt_changed(self.fmt.currentText())

    def _fmt_changed(self, fmt):
        self.width_px.setEnabled(fmt == "png")
        text = self.path.text()
        if text:  # keep the name, follow the format
            self.path.setText(os.path.splitext(text)[0] + SUFFIX.get(fmt, f".{fmt}"))

    def _browse(self):
        fmt = self.fmt.currentText()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text() or self.folder, f"{fmt} (*.{fmt})")
        if path:
            self.path.setText(path)

    def values(self):
        what = self.what.currentText()
        figure = what not in DATA
        return {"what": what.removesuffix(" figure") if figure else DATA[what], "figure": figure,
                "fmt": self.fmt.currentText(), "width_px": self.width_px.value(), "path": self.path.text().strip()}

    def set_values(self, values):
        """``what``: 'field-map', 'fit-maps', 'cells' or a view ('field map', 'spectrum', ...)."""
        if "what" in values:
            names = {v: k for k, v in DATA.items()}
            self.what.setCurrentText(names.get(values["what"], f"{values['what']} figure"))
        if "fmt" in values:
            self.fmt.setCurrentText(values["fmt"])
        if "width_px" in values:
            self.width_px.setValue(int(values["width_px"]))
        if "path" in values:
            self.path.setText(str(values["path"]))
