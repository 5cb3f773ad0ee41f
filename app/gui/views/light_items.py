"""Plot items that redraw cheaply: measured points joined by a line, and the pinned pixel's cross.

pyqtgraph draws symbols with ``ScatterPlotItem``, which builds a record and looks up a cached symbol for every
point at each ``setData`` and paints them one by one; ``PlotDataItem`` adds its own pass over the data on top.
A click on a pixel sets a new spectrum and moves three crosses, so that cost came at every click, in the GUI
thread: on the 2-core test machine it was about a quarter of a click's CPU (benchmarks/bench_gui_responsiveness,
docs/performance.md). These items draw the same marks with one QPainter call each.
"""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QPen


class MeasuredCurve(pg.PlotCurveItem):
    """A thin line through the points and a round dot on each (``dot_px`` across, filled with ``dot_color``),
    in one item: the legend's sample, its click (hide/show) and ``getData`` cover both."""

    def __init__(self, *, pen, dot_px, dot_color, name=None):
        super().__init__(pen=pen, name=name, connect="finite")
        self._dot_pen = QPen(pg.mkColor(dot_color), float(dot_px))
        self._dot_pen.setCosmetic(True)  # dot_px on screen at any zoom
        self._dot_pen.setCapStyle(Qt.PenCapStyle.RoundCap)  # a wide pen's round cap draws a point as a disc
        self._dot_px = float(dot_px)
        self._dot_color = pg.mkColor(dot_color)

    def pixelPadding(self):
        return max(super().pixelPadding(), self._dot_px / 2.0 + 1.0)

    def paint(self, painter, option, widget):
        super().paint(painter, option, widget)
        x, y = self.getData()
        if x is None or len(x) == 0:
            return
        ok = np.isfinite(x) & np.isfinite(y)
        painter.setPen(self._dot_pen)
        painter.drawPoints(pg.functions.arrayToQPolygonF(np.asarray(x)[ok], np.asarray(y)[ok]))


class LightSample(pg.ItemSample):
    """The legend's sample (``addLegend(sampleType=LightSample)``): a ``MeasuredCurve`` as its line with one dot on
    it, in the dot's colour (pyqtgraph's own sample outlines a symbol with the line's pen); other items as
    pyqtgraph draws them."""

    def paint(self, painter, *args):
        item = self.item
        if not isinstance(item, MeasuredCurve) or not item.isVisible():
            super().paint(painter, *args)
            return
        painter.setPen(pg.mkPen(item.opts["pen"]))
        painter.drawLine(0, 11, 20, 11)  # crisp, as pyqtgraph draws the other samples' lines
        painter.setRenderHint(painter.RenderHint.Antialiasing)  # a round dot
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pg.mkBrush(item._dot_color))
        radius = item._dot_px / 2.0
        painter.drawEllipse(QPointF(10.0, 11.0), radius, radius)


class CrossMarker(pg.GraphicsObject):
    """A "+" of ``size_px`` screen pixels at one point of the data (``setData([x], [y])``), as the "+" symbol of
    ``ScatterPlotItem`` drew it. It never takes a click from the image under it and never widens an
    auto-range."""

    def __init__(self, *, size_px, pen):
        super().__init__()
        self._half = size_px / 2.0
        self._pen = pg.mkPen(pen)
        self._pen.setCosmetic(True)
        self._point = None
        self.setFlag(self.GraphicsItemFlag.ItemIgnoresTransformations)  # drawn in screen pixels at its point
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.hide()

    def setData(self, x, y):
        """One point (lists or arrays of one value each, as ScatterPlotItem takes them); empty hides the cross."""
        if len(x) == 0:
            self._point = None
            self.hide()
            return
        self._point = (float(x[0]), float(y[0]))
        self.setPos(QPointF(*self._point))
        self.show()

    def getData(self):
        if self._point is None:
            return np.array([]), np.array([])
        return np.array([self._point[0]]), np.array([self._point[1]])

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        return None  # the image sets the range, not the marker on it

    def boundingRect(self):
        reach = self._half + self._pen.widthF()
        return QRectF(-reach, -reach, 2.0 * reach, 2.0 * reach)

    def paint(self, painter, option, widget):
        painter.setPen(self._pen)
        h = self._half
        painter.drawLine(QPointF(-h, 0.0), QPointF(h, 0.0))
        painter.drawLine(QPointF(0.0, -h), QPointF(0.0, h))
