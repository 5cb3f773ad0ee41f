"""An image with a colour bar, axes in µm, a scale bar and pixel-exact clicks and hovers.

The image item works in pixel units (x = column, y = row, row 0 at the top); ``setRect`` places it in metres
in the plot, so axes and scale bar read in µm while a click maps back to (row, col) without rounding error.
"""

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPoint, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from app.core.steady_levels import steady_levels
from app.gui.steady_label import steady_label
from app.gui.theme import FOREGROUND
from app.gui.views.light_items import CrossMarker


def nice_length(span):
    """The largest 1, 2 or 5 x 10^k not above ``span`` (for a scale bar about a fifth of the field)."""
    if not span > 0:
        return 0.0
    exponent = math.floor(math.log10(span))
    for mantissa in (5, 2, 1):
        if mantissa * 10**exponent <= span:
            return mantissa * 10**exponent
    return 10**exponent


def robust_levels(data, symmetric=False, percentile=99.5):
    """Colour levels that ignore the few extreme pixels (and NaN): (lo, hi)."""
    data = np.asarray(data)
    if data.size > 16384:  # every few pixels are plenty for a percentile, and keep a refresh cheap
        data = data.ravel()[:: data.size // 16384]
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    if symmetric:
        limit = float(np.percentile(np.abs(finite), percentile)) or 1.0
        return -limit, limit
    lo, hi = np.percentile(finite, [100.0 - percentile, percentile])
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 0.5, float(lo) + 0.5)


class _PixelImage(pg.ImageItem):
    """An ImageItem that reports left clicks as pixel indices."""

    def __init__(self, on_click):
        super().__init__(axisOrder="row-major")
        self._on_click = on_click

    def mouseClickEvent(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton or self.image is None:
            return super().mouseClickEvent(ev)
        pos = ev.pos()
        row, col = math.floor(pos.y()), math.floor(pos.x())
        if 0 <= row < self.image.shape[0] and 0 <= col < self.image.shape[1]:
            ev.accept()
            self._on_click(row, col)


class ImageView(QWidget):
    """A titled image view. Signals: ``pixelClicked(row, col)``; ``pixelHovered(row, col)`` ((-1, -1) off it)."""

    pixelClicked = pyqtSignal(int, int)
    pixelHovered = pyqtSignal(int, int)

    def __init__(self, title, colorbar_label, cmap="viridis", symmetric=False, *, pixel_size_m, axes=True,
                 parent=None):
        super().__init__(parent)
        self.symmetric = symmetric
        self.pixel_size_m = pixel_size_m
        title_holder, self.title = steady_label(title, "ViewTitle")  # retitled at every step: no relayout
        self.graphics = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(title_holder)
        layout.addWidget(self.graphics, 1)
        self.plot = self.graphics.addPlot()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        if axes:
            self.plot.setLabel("bottom", "x", units="m")
            self.plot.setLabel("left", "y", units="m")
        else:  # the scale bar gives the size; fewer axes to repaint on every new frame
            self.plot.hideAxis("bottom")
            self.plot.hideAxis("left")
        self.image = _PixelImage(self._clicked)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get(cmap), label=colorbar_label, interactive=False,
                                        width=14, pen=FOREGROUND)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.marker = CrossMarker(size_px=16, pen=pg.mkPen("#ff2a2a", width=2))  # (light_items: cheap to move)
        self.marker.setZValue(10)
        self.plot.addItem(self.marker)
        self.scale_bar = None
        self._shape = None
        self._fresh_levels = True  # the next automatic levels ignore the shown ones (a new sweep or map)
        self._hovered = (-1, -1)
        self.graphics.scene().sigMouseMoved.connect(self._moved)

    # -- data ----------------------------------------------------------------------------------------------
    def set_image(self, data, levels=None):
        """Show ``data``; colour levels from ``levels`` or, automatic, the robust percentiles kept steady
        (``app.core.steady_levels``: a new colour scale re-lays out the colour bar's axis, a good part of a
        repaint's cost). ``reset_levels`` makes the next automatic levels follow the data afresh."""
        data = np.asarray(data)
        first = self.image.image is None
        self.image.setImage(data, autoLevels=False)
        if levels is None:
            current = None if self._fresh_levels else self.colorbar.levels()
            levels = steady_levels(current, robust_levels(data, self.symmetric))
        self._fresh_levels = False
        if tuple(levels) != tuple(self.colorbar.levels()):
            self.colorbar.setLevels(levels)
        if data.shape != self._shape:
            self._shape = data.shape
            self._place()
        elif first:  # laid out beforehand (prepare_shape): the item's rect needs its image's size
            self._set_rect()

    def prepare_shape(self, shape):
        """Lay the view out for images of ``shape`` (rows, cols) now, so that the first image of a sweep costs
        no layout (scale bar, ranges): that first layout took 50-80 ms on a busy 2-core machine."""
        if tuple(shape) != self._shape:
            self._shape = tuple(shape)
            self._place()

    def clear_image(self):
        self.image.clear()
        self.reset_levels()

    def reset_levels(self):
        """The next image's automatic levels follow its data afresh (a new sweep, another map kind)."""
        self._fresh_levels = True

    def set_colorbar(self, label, cmap, symmetric):
        self.symmetric = symmetric
        self.reset_levels()  # another quantity: its own scale
        self.colorbar.setColorMap(pg.colormap.get(cmap))
        # the label lives on the bar's label axis (left), as ColorBarItem put it; setting it on ``.axis`` (the
        # value axis, right) added a second label beside the first at every switch
        self.colorbar.getAxis("bottom" if self.colorbar.horizontal else "left").setLabel(label)

    def set_pixel_size_m(self, pixel_size_m):
        changed = pixel_size_m != self.pixel_size_m
        self.pixel_size_m = pixel_size_m
        if changed and self._shape is not None:
            self._place()

    def set_marker(self, row, col):
        p = self.pixel_size_m
        self.marker.setData([(col + 0.5) * p], [(row + 0.5) * p])

    def _set_rect(self):
        rows, cols = self._shape
        if self.image.image is not None:
            self.image.setRect(QRectF(0.0, 0.0, cols * self.pixel_size_m, rows * self.pixel_size_m))

    def _place(self):
        rows, cols = self._shape
        p = self.pixel_size_m
        self._set_rect()
        if self.scale_bar is not None:  # (pyqtgraph's ScaleBar cannot be unparented: it re-anchors)
            self.plot.scene().removeItem(self.scale_bar)
        self.scale_bar = pg.ScaleBar(size=nice_length(cols * p / 4.0), width=6, brush="w", pen=FOREGROUND,
                                     suffix="m", offset=(-14, -14))
        self.scale_bar.text.setColor("w")
        self.scale_bar.text.fill = pg.mkBrush(0, 0, 0, 110)
        self.scale_bar.setParentItem(self.plot.getViewBox())
        self.plot.setRange(xRange=(0.0, cols * p), yRange=(0.0, rows * p), padding=0.0)  # with or without data

    # -- mouse ---------------------------------------------------------------------------------------------
    def _clicked(self, row, col):
        self.pixelClicked.emit(row, col)

    def _moved(self, scene_pos):
        pixel = (-1, -1)
        if self.image.image is not None and self.plot.sceneBoundingRect().contains(scene_pos):
            pos = self.image.mapFromScene(scene_pos)
            row, col = math.floor(pos.y()), math.floor(pos.x())
            if 0 <= row < self.image.image.shape[0] and 0 <= col < self.image.image.shape[1]:
                pixel = (row, col)
        if pixel != self._hovered:
            self._hovered = pixel
            self.pixelHovered.emit(*pixel)

    def leaveEvent(self, event):
        if self._hovered != (-1, -1):
            self._hovered = (-1, -1)
            self.pixelHovered.emit(-1, -1)
        super().leaveEvent(event)

    def viewport_pos_of_pixel(self, row, col):
        """Where the centre of pixel (row, col) is on ``self.graphics.viewport()`` (for tests and scripts)."""
        scene = self.image.mapToScene(QPointF(col + 0.5, row + 0.5))
        return self.graphics.mapFromScene(scene)

    def pixel_at_viewport_pos(self, pos: QPoint):
        item = self.image.mapFromScene(self.graphics.mapToScene(pos))
        return math.floor(item.y()), math.floor(item.x())
