"""The ODMR spectrum of one pixel: the measured PL on/off per step and the fit's model curve.

Frequencies are drawn in MHz, the unit of the sweep form (pyqtgraph's SI prefixes would switch to GHz, and an
empty axis would read 0 to 1 Hz); the view's interface stays in Hz.

The view's range is steady: it follows the data (``steady_range``) but changes only when they leave it or fill
less than 40 % of its height, so hovering or clicking from pixel to pixel does not re-lay out the axes at every
spectrum (that halved the CPU of a click and its repaint). A zoom or pan with the mouse keeps the user's range
until the plot's "A" (auto-range) button is clicked."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from app.core.spectrum_range import steady_range
from app.core.sweep_form import DEFAULTS
from app.gui.steady_label import steady_label
from app.gui.views.light_items import LightSample, MeasuredCurve

MHZ = 1e6


class SpectrumView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        title_holder, self.title = steady_label("ODMR spectrum — click or hover a pixel", "ViewTitle")
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "RF frequency (MHz)")
        self.plot.setXRange(float(DEFAULTS["w1_start_mhz"]), float(DEFAULTS["w1_stop_mhz"]))  # not 0..1 when empty
        self.plot.setLabel("left", "PL on / PL off")
        self.plot.addLegend(offset=(-10, -10), sampleType=LightSample)  # bottom right: the baseline is at the top
        # plain curve items, not PlotDataItem with symbols: a click redraws them (light_items)
        self.data = MeasuredCurve(pen=pg.mkPen("#7a8fa6", width=1), dot_px=5, dot_color="#1f4e79", name="measured")
        self.fit = pg.PlotCurveItem(pen=pg.mkPen("#d62728", width=2), name="fit", connect="finite")
        self.plot.addItem(self.data)
        self.plot.addItem(self.fit)
        # an adaptive plan: a triangle under the data at each planned frequency, its area ~ the step's pairs
        self.plan_item = pg.ScatterPlotItem(symbol="t1", pen=None, brush=pg.mkBrush(44, 160, 44, 170),
                                            name="adaptive plan (size ~ pairs)")
        self.plot.addItem(self.plan_item)
        self._plan = None
        dashed = pg.mkPen("#888", style=Qt.PenStyle.DashLine)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=dashed)
        self.plot.addItem(self.cursor)
        self.cursor.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(title_holder)
        layout.addWidget(self.plot_widget, 1)
        self.pixel = None
        box = self.plot.getViewBox()
        box.disableAutoRange()  # steady_range sets the range (see the module docstring)
        self._range = None  # ((x0, x1), (y0, y1)) the view last set; None: none yet
        self._x_extent = None  # the sweep's lowest and highest frequency (MHz), measured or not
        self._follow = True  # False after the user zoomed or panned, until the "A" button
        box.sigRangeChangedManually.connect(self._user_moved)
        self.plot.autoBtn.clicked.connect(self._follow_again)

    def set_spectrum(self, pixel, freq_hz, values, fit_curve=None, source=""):
        """``values``: PL on/off per step (NaN = not measured yet); ``fit_curve``: (freq_hz, model) or None."""
        self.pixel = pixel
        self.title.setText(f"ODMR spectrum — pixel (row {pixel[0]}, col {pixel[1]}){source}")
        values = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(values)
        freq_mhz = np.asarray(freq_hz, dtype=np.float64) / MHZ
        grid = freq_mhz[np.isfinite(freq_mhz)]
        self._x_extent = (float(grid.min()), float(grid.max())) if grid.size else None
        self.data.setData(freq_mhz[ok], values[ok])
        if fit_curve is None:
            self.fit.setData([], [])
        else:
            self.fit.setData(np.asarray(fit_curve[0]) / MHZ, fit_curve[1])
        self._place_plan()
        self._settle_range()

    def _settle_range(self):
        """The range the data need (``steady_range``) and the view transform now, not while painting: set in
        pyqtgraph's prepare-for-paint step, the items whose geometry that changes ask for a second paint of the
        whole plot (two paints per new spectrum, about twice the CPU)."""
        if not self._follow:
            return
        new = steady_range(self._range, [item.getData() for item in (self.data, self.fit, self.plan_item)],
                           x_extent=self._x_extent)
        if new is None or new == self._range:
            return
        self._range = new
        box = self.plot.getViewBox()
        box.setRange(xRange=new[0], yRange=new[1], padding=0.0)
        box.updateMatrix()

    def _user_moved(self, *_):
        self._follow = False

    def _follow_again(self):
        """The "A" button: the view follows the data again (pyqtgraph's own auto-range stays off)."""
        self.plot.getViewBox().disableAutoRange()
        self._follow, self._range = True, None
        self._settle_range()

    def set_plan_marks(self, marks):
        """marks: (freq_hz, pairs) of an adaptive plan, or None (nothing marked)."""
        if marks is None and self._plan is None:
            return
        self._plan = None if marks is None else (np.asarray(marks[0], dtype=np.float64),
                                                 np.asarray(marks[1], dtype=np.float64))
        self._place_plan()
        self._settle_range()

    def _place_plan(self):
        if self._plan is None or not self._plan[0].size:
            if len(self.plan_item.data):  # (a plain sweep: nothing to clear at every spectrum)
                self.plan_item.setData([], [])
            return
        freq, pairs = self._plan
        _, y = self.data.getData()
        y = np.asarray(y if y is not None else [], dtype=np.float64)
        lo, hi = (float(y.min()), float(y.max())) if y.size else (1.0, 1.0)
        level = lo - 0.12 * max(hi - lo, 1e-3)  # just below the deepest point, inside the view
        sizes = 5.0 + 13.0 * np.sqrt(pairs / max(float(pairs.max()), 1.0))
        self.plan_item.setData(x=freq / MHZ, y=np.full(freq.size, level), size=sizes)

    def plan_marks(self):
        """(freq_hz, sizes) of the plan marks shown now, or None (for tests)."""
        x, _ = self.plan_item.getData()
        return None if x is None or len(x) == 0 else (np.asarray(x) * MHZ, np.asarray(self.plan_item.data["size"]))

    def set_current_frequency(self, freq_hz):
        if np.isfinite(freq_hz):
            self.cursor.setValue(freq_hz / MHZ)
            self.cursor.show()
        else:
            self.cursor.hide()

    def measured(self):
        """(freq_hz, values) shown now (for tests)."""
        freq_mhz, values = self.data.getData()
        return (None if freq_mhz is None else freq_mhz * MHZ), values

    def fitted(self):
        """(freq_hz, model) of the fit curve shown now (for tests)."""
        freq_mhz, model = self.fit.getData()
        return (None if freq_mhz is None else freq_mhz * MHZ), model
