"""The field map: raw B_NV, background-subtracted B_NV, or the fit quality, with a colour bar in µT."""

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.gui import theme
from app.gui.steady_label import steady_label
from app.gui.views.image_view import ImageView

RAW = "raw B_NV"
SUBTRACTED = "background-subtracted"
QUALITY = "fit quality"
MODES = (SUBTRACTED, RAW, QUALITY)
_DISPLAY = {  # mode -> (colour-bar label, colour map, symmetric levels, scale from the stored SI value)
    RAW: ("B_NV (µT)", theme.RAW_FIELD_CMAP, False, 1e6),
    SUBTRACTED: ("B_NV − background (µT)", theme.FIELD_CMAP, True, 1e6),
    QUALITY: ("reduced χ², noise-weighted (~1: good fit)", theme.QUALITY_CMAP, False, 1.0),
}


class FieldMapView(QWidget):
    """Shows the latest ``FieldMaps``; ``pixelClicked(row, col)`` and ``pixelHovered(row, col)`` pass through."""

    pixelClicked = pyqtSignal(int, int)
    pixelHovered = pyqtSignal(int, int)
    modeChanged = pyqtSignal(str)

    def __init__(self, *, pixel_size_m, parent=None):
        super().__init__(parent)
        self.maps = None
        self.mode_box = QComboBox()
        self.mode_box.addItems(MODES)
        self.mode_box.setToolTip("raw: the fitted field along the NV axis; background-subtracted: minus the "
                                 "smooth background (what the cells make); fit quality: the fit's reduced χ² per "
                                 "pixel, weighted by the spectrum noise (~1 is as good as the noise allows, as "
                                 "the cell table's chi2_red)")
        info_holder, self.info = steady_label("no fit yet")  # new text at every live fit: no relayout
        self.info.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.view = ImageView("Field map", _DISPLAY[SUBTRACTED][0], theme.FIELD_CMAP, symmetric=True,
                              pixel_size_m=pixel_size_m)
        header = QHBoxLayout()
        header.addWidget(QLabel("Show:"))
        header.addWidget(self.mode_box)
        header.addWidget(info_holder, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        self.mode_box.currentTextChanged.connect(self._mode_changed)
        self.view.pixelClicked.connect(self.pixelClicked)
        self.view.pixelHovered.connect(self.pixelHovered)

    @property
    def mode(self):
        return self.mode_box.currentText()

    def set_mode(self, mode):
        if mode in MODES:
            self.mode_box.setCurrentText(mode)

    def _mode_changed(self, mode):
        label, cmap, symmetric, _ = _DISPLAY[mode]
        self.view.set_colorbar(label, cmap, symmetric)
        self._show()
        self.modeChanged.emit(mode)

    def current_image(self):
        """The displayed map in display units (µT, or χ²), or None."""
        if self.maps is None:
            return None
        source = {RAW: self.maps.b_nv_t, SUBTRACTED: self.maps.residual_t, QUALITY: self.maps.quality}[self.mode]
        return np.asarray(source, dtype=np.float64) * _DISPLAY[self.mode][3]

    def value_at(self, row, col):
        """The displayed value at pixel (row, col) in display units, or None (no map, outside it)."""
        if self.maps is None:
            return None
        source = {RAW: self.maps.b_nv_t, SUBTRACTED: self.maps.residual_t, QUALITY: self.maps.quality}[self.mode]
        if not (0 <= row < source.shape[0] and 0 <= col < source.shape[1]):
            return None
        return float(source[row, col]) * _DISPLAY[self.mode][3]

    def set_maps(self, maps, note=""):
        self.maps = maps
        took = f" in {maps.fit_s * 1e3:.0f} ms" if np.isfinite(maps.fit_s) else ""
        fitted = f"fit of {maps.n_steps_used} steps{took}" if maps.n_steps_used else "a map without a fit (imported)"
        self.info.setText(fitted + note)
        self._show()

    def clear_maps(self):
        self.maps = None
        self.info.setText("no fit yet")
        self.view.clear_image()
        self.view.title.setText("Field map")

    def _show(self):
        image = self.current_image()
        if image is not None:
            self.view.set_image(image)
            self.view.title.setText(f"Field map — {self.mode}")

    def set_marker(self, row, col):
        self.view.set_marker(row, col)
