"""The cheap plot items (app/gui/views/light_items.py) draw what the pyqtgraph symbols drew: a dot on every
measured point of the spectrum, and a cross of fixed screen size on the pinned pixel that lets clicks through."""

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from app.gui.views.spectrum_view import SpectrumView
from tests.gui_helpers import shown_image_view


def _pixels_of(widget, rgb, tolerance=40):
    """(rows, cols) of the viewport's pixels within ``tolerance`` of colour ``rgb`` in every channel."""
    grabbed = widget.viewport().grab().toImage()
    image = grabbed.convertToFormat(grabbed.Format.Format_RGB32)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    data = data.reshape(height, image.bytesPerLine())[:, : 4 * width].reshape(height, width, 4)
    b, g, r = (data[..., k].astype(int) for k in range(3))
    near = (abs(r - rgb[0]) <= tolerance) & (abs(g - rgb[1]) <= tolerance) & (abs(b - rgb[2]) <= tolerance)
    return np.nonzero(near)


def _on_viewport(view, item, x, y):
    point = view.mapFromScene(item.mapToScene(QPointF(x, y)))
    return point.y(), point.x()


def _outside_the_legend(spectrum, rows, cols):
    legend = spectrum.plot_widget.mapFromScene(spectrum.plot.legend.sceneBoundingRect()).boundingRect()
    inside = (cols >= legend.left()) & (cols <= legend.right()) & (rows >= legend.top()) & (rows <= legend.bottom())
    assert 0 < inside.sum() <= 30  # the legend's sample
    return rows[~inside], cols[~inside]


DOT = (0x1F, 0x4E, 0x79)
RED = (0xFF, 0x2A, 0x2A)


@pytest.fixture
def spectrum(qtbot):
    view = SpectrumView()
    qtbot.addWidget(view)
    view.resize(700, 420)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_every_measured_point_gets_a_dot_of_five_pixels_even_a_single_one(qtbot, spectrum):
    freq_hz = np.array([2860e6, 2865e6, 2870e6, 2875e6, 2880e6])
    values = np.array([1.0, 0.99, 0.97, np.nan, 1.0])  # one step not measured: no dot there
    spectrum.set_spectrum((3, 4), freq_hz, values)
    qtbot.wait(50)
    rows, cols = _outside_the_legend(spectrum, *_pixels_of(spectrum.plot_widget, DOT))  # (its sample: a dot too)
    box = spectrum.plot.getViewBox()
    for f, v in zip(freq_hz / 1e6, values, strict=True):
        if not np.isfinite(v):
            continue
        r, c = _on_viewport(spectrum.plot_widget, box.childGroup, f, v)
        near = (abs(rows - r) <= 3) & (abs(cols - c) <= 3)
        # a disc 5 px across covers about 20 pixels; antialiasing and the line through it take a few
        assert 8 <= near.sum() <= 30, (f, v, near.sum())
    assert rows.size <= 4 * 30  # no dot anywhere else (four measured points)
    first_step = np.where(np.arange(freq_hz.size) == 0, values, np.nan)
    spectrum.set_spectrum((3, 4), freq_hz, first_step)  # a sweep's first step: no line, but its dot
    qtbot.wait(50)
    assert 8 <= _outside_the_legend(spectrum, *_pixels_of(spectrum.plot_widget, DOT))[0].size <= 30


def test_the_legend_has_one_measured_entry_for_the_line_and_its_dots(spectrum):
    names = [label.text for _, label in spectrum.plot.legend.items]
    assert names == ["measured", "fit", "adaptive plan (size ~ pairs)"]
    sample, _ = spectrum.plot.legend.items[0]
    assert sample.item is spectrum.data  # its click hides and shows both


@pytest.fixture
def image(qtbot):
    view = shown_image_view(qtbot, 500, 500)
    view.set_image(np.linspace(0.0, 1.0, 64 * 64).reshape(64, 64))
    return view


def _cross_pixels(qtbot, image):
    qtbot.wait(50)
    rows, cols = _pixels_of(image.graphics, RED, tolerance=30)
    return rows, cols


def test_the_cross_sits_on_the_pixel_centre_and_keeps_its_screen_size_when_zoomed(qtbot, image):
    image.set_marker(10, 20)
    rows, cols = _cross_pixels(qtbot, image)
    r, c = _on_viewport(image.graphics, image.image, 20.5, 10.5)
    assert abs(np.median(rows) - r) <= 1.5 and abs(np.median(cols) - c) <= 1.5
    # two strokes 16 px long and 2 px wide
    assert rows.max() - rows.min() == pytest.approx(16, abs=3) and cols.max() - cols.min() == pytest.approx(16, abs=3)
    before = rows.size
    image.plot.setRange(xRange=(15e-6, 26e-6), yRange=(5e-6, 16e-6), padding=0.0)  # about 6 x closer
    rows, _ = _cross_pixels(qtbot, image)
    assert rows.size == pytest.approx(before, rel=0.25)
    image.marker.setData([], [])
    assert _cross_pixels(qtbot, image)[0].size == 0 and image.marker.getData()[0].size == 0


def test_a_click_on_the_cross_reaches_the_image_and_the_cross_widens_no_auto_range(qtbot, image):
    image.set_marker(10, 20)
    qtbot.wait(50)
    r, c = _on_viewport(image.graphics, image.image, 20.5, 10.5)
    with qtbot.waitSignal(image.pixelClicked, timeout=2000) as blocker:
        qtbot.mouseClick(image.graphics.viewport(), Qt.MouseButton.LeftButton, pos=QPointF(c, r).toPoint())
    assert blocker.args == [10, 20]
    image.plot.autoRange(padding=0.0)
    with_cross = np.array(image.plot.viewRange())
    assert min(np.diff(with_cross, axis=1)) == pytest.approx(64e-6)  # the image's 64 µm (aspect locked)
    image.marker.setData([], [])
    image.plot.autoRange(padding=0.0)
    np.testing.assert_allclose(with_cross, image.plot.viewRange(), atol=1e-9)  # the cross added nothing


def _sample_image(sample):
    """The legend sample painted alone on white, at its 20 x 20 pixels, as (rows, cols, rgb)."""
    from PyQt6.QtGui import QImage, QPainter

    image = QImage(20, 20, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    sample.paint(painter, None, None)
    painter.end()
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    return data.reshape(20, image.bytesPerLine())[:, :80].reshape(20, 20, 4)[..., 2::-1].astype(int)


def test_the_legend_sample_is_the_line_with_a_dot_of_the_dots_colour_and_no_grey_ring(spectrum):
    """pyqtgraph's own sample outlined the dot with the line's grey pen: a grey ring in the legend that the plot's
    dots do not have."""
    rgb = _sample_image(spectrum.plot.legend.items[0][0])
    grey = np.abs(rgb - np.array((0x7A, 0x8F, 0xA6))).max(axis=-1) <= 12
    dot = np.abs(rgb - np.array(DOT)).max(axis=-1) <= 12
    line_row = int(np.argmax(grey.sum(axis=1)))
    assert grey[line_row, :5].all() and grey[line_row, 15:].all()  # the line on either side of the dot
    assert not grey[np.arange(20) != line_row].any()  # nothing grey off the line: no ring round the dot
    rows, cols = np.nonzero(dot)
    assert 12 <= rows.size <= 24 and abs(rows.mean() - line_row) <= 1.0  # a 5 px disc, on the line
