"""The ODMR spectrum of one pixel: the measured PL on/off per step and the fit's model curve."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget


class SpectrumView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("ODMR spectrum — click or hover a pixel")
        self.title.setObjectName("ViewTitle")
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "RF frequency", units="Hz")
        self.plot.setLabel("left", "PL on / PL off")
        self.plot.addLegend(offset=(-10, -10))  # bottom right: the spectrum's baseline is at the top
        self.data = self.plot.plot([], [], pen=pg.mkPen("#7a8fa6", width=1), symbol="o", symbolSize=5,
                                   symbolBrush="#1f4e79", symbolPen=None, name="measured", connect="finite")
        self.fit = self.plot.plot([], [], pen=pg.mkPen("#d62728", width=2), name="fit", connect="finite")
        dashed = pg.mkPen("#888", style=Qt.PenStyle.DashLine)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=dashed)
        self.plot.addItem(self.cursor)
        self.cursor.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot_widget, 1)
        self.pixel = None

    def set_spectrum(self, pixel, freq_hz, values, fit_curve=None, source=""):
        """``values``: PL on/off per step (NaN = not measured yet); ``fit_curve``: (freq_hz, model) or None."""
        self.pixel = pixel
        self.title.setText(f"ODMR spectrum — pixel (row {pixel[0]}, col {pixel[1]}){source}")
        values = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(values)
        self.data.setData(np.asarray(freq_hz)[ok], values[ok])
        if fit_curve is None:
            self.fit.setData([], [])
        else:
            self.fit.setData(*fit_curve)

    def set_current_frequency(self, freq_hz):
        if np.isfinite(freq_hz):
            self.cursor.setValue(freq_hz)
            self.cursor.show()
        else:
            self.cursor.hide()

    def measured(self):
        """(freq_hz, values) shown now (for tests)."""
        return self.data.getData()
