"""Measured / reconstructed / residual snippets of one cell side by side, on one colour scale in µT."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.gui import theme
from app.gui.views.image_view import robust_levels

SNIPPET_PX = 32
PANELS = ("measured", "reconstructed", "residual")


def snippet_around(b_map, row, col, size=SNIPPET_PX):
    """The ``size`` x ``size`` block of ``b_map`` centred on (row, col), NaN-padded at the edges."""
    b_map = np.asarray(b_map, dtype=np.float64)
    out = np.full((size, size), np.nan)
    r0, c0 = row - size // 2, col - size // 2
    rs, cs = max(r0, 0), max(c0, 0)
    re, ce = min(r0 + size, b_map.shape[0]), min(c0 + size, b_map.shape[1])
    if rs < re and cs < ce:
        out[rs - r0:re - r0, cs - c0:ce - c0] = b_map[rs:re, cs:ce]
    return out


EMPTY_TITLE = "Cell snippet — click a dipole in the field map"


class SnippetTriptych(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel(EMPTY_TITLE)
        self.title.setObjectName("ViewTitle")
        self.graphics = pg.GraphicsLayoutWidget()
        self.images, self.notes, self.plots = {}, {}, {}
        cmap = pg.colormap.get(theme.FIELD_CMAP)
        for k, name in enumerate(PANELS):
            plot = self.graphics.addPlot(row=0, col=k)
            plot.setTitle(name, size="9pt")
            plot.setAspectLocked(True)
            plot.invertY(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(False, False)
            plot.setRange(xRange=(0, SNIPPET_PX), yRange=(0, SNIPPET_PX), padding=0.02)
            plot.getViewBox().disableAutoRange()  # the three panels stay the same size whatever they show
            image = pg.ImageItem(axisOrder="row-major")
            image.setColorMap(cmap)
            plot.addItem(image)
            self.images[name] = image
            self.plots[name] = plot
            note = pg.TextItem("—", color="#777", anchor=(0.5, 0.5))  # nothing to show (yet)
            note.setPos(SNIPPET_PX / 2, SNIPPET_PX / 2)
            plot.addItem(note)
            self.notes[name] = note
        self.colorbar = pg.ColorBarItem(colorMap=cmap, label="B_NV (µT)", interactive=False, width=12,
                                        pen=theme.FOREGROUND)
        self.graphics.addItem(self.colorbar, row=0, col=len(PANELS))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.graphics, 1)

    def resizeEvent(self, event):
        """The three panels get equal widths (a grid layout would size them by their titles' lengths)."""
        super().resizeEvent(event)
        width = max(40.0, (event.size().width() - self.colorbar.width() - 40) / len(PANELS))
        for plot in self.plots.values():  # equal and free to shrink (a fixed width would pin the dock's size)
            plot.setMinimumWidth(20)
            plot.setPreferredWidth(width)
            plot.setMaximumWidth(width)

    def set_snippets(self, measured_t, reconstructed_t=None, residual_t=None, title=None, missing="—"):
        """Maps in tesla (shown in µT); a missing panel shows ``missing``."""
        shown = {"measured": measured_t, "reconstructed": reconstructed_t, "residual": residual_t}
        levels = robust_levels(np.asarray(measured_t) * 1e6, symmetric=True, percentile=100.0)
        for name, data in shown.items():
            self.notes[name].setVisible(data is None)
            self.notes[name].setText(missing)
            if data is None:
                self.images[name].clear()
            else:
                self.images[name].setImage(np.asarray(data, dtype=np.float64) * 1e6, levels=levels)
        for plot in self.plots.values():
            plot.setRange(xRange=(0, SNIPPET_PX), yRange=(0, SNIPPET_PX), padding=0.02)
        self.colorbar.setLevels(levels)
        if title:
            self.title.setText(title)

    def clear(self):
        """Nothing shown: a new sweep or another session must not show the last one's cell."""
        for name, image in self.images.items():
            image.clear()
            self.notes[name].setText("—")
            self.notes[name].setVisible(True)
        self.title.setText(EMPTY_TITLE)

    def shown(self, name):
        return self.images[name].image
