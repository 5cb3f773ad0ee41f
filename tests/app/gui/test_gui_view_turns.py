"""What keeps each pass of the event loop short (bench_gui_responsiveness): one view's update per timer tick,
a click's markers one per tick after its spectrum, titles that change without re-laying out the window, and a
spectrum whose new range is set before it is painted."""

import numpy as np
import pytest

from app.gui.view_refresh import TURN_TICKS
from app.gui.views.spectrum_view import SpectrumView
from tests.gui_helpers import open_window, shown_image_view


@pytest.fixture
def window(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path)
    window.timer.stop()  # the test ticks by hand
    window.later.flush()
    return window


def test_the_views_take_turns_one_every_turn_ticks_and_a_queued_update_takes_a_tick_of_its_own(window):
    done = []
    for name in ("_refresh_camera", "_refresh_contrast", "_refresh_field", "_refresh_spectrum"):
        setattr(window, name, lambda *a, n=name, **k: done.append(n.removeprefix("_refresh_")))
    start = window._tick
    for _ in range(4 * TURN_TICKS):
        window.refresh()
    turns = ["camera", "contrast", "field", "spectrum"]
    first = (start + TURN_TICKS - start % TURN_TICKS) // TURN_TICKS  # the first turn number reached
    assert done == [turns[(first + k) % 4] for k in range(4)]
    done.clear()
    window.later.add("x", lambda: done.append("queued"))
    ticks_to_turn = TURN_TICKS - window._tick % TURN_TICKS
    for _ in range(ticks_to_turn):
        window.refresh()
    assert done == ["queued"]  # the tick that ran it did no turn: the turn comes one tick later
    window.refresh()
    assert len(done) == 2


def test_a_click_shows_the_spectrum_at_once_and_moves_the_markers_one_view_per_tick(window):
    window.pin_pixel(7, 11)
    assert window._seen["spectrum"][0] == (7, 11)  # redrawn now (no data yet here: test_gui_field_map_click)
    p = window.pixel_size_m()

    def marked(view):
        x, y = view.marker.getData()
        return len(x) == 1 and np.isclose(x[0], 11.5 * p) and np.isclose(y[0], 7.5 * p)

    views = (window.field_view.view, window.contrast_view, window.camera_view)
    for placed in range(1, 4):
        window.refresh()
        assert [marked(v) for v in views] == [True] * placed + [False] * (3 - placed)


def test_refresh_all_places_every_marker_now(window):
    window.pin_pixel(3, 4)
    window.refresh_all()
    x, y = window.camera_view.marker.getData()
    assert np.isclose(x[0], 4.5 * window.pixel_size_m()) and np.isclose(y[0], 3.5 * window.pixel_size_m())


def test_a_longer_title_changes_no_geometry(qtbot):
    view = shown_image_view(qtbot, 400, 380)
    before = view.graphics.geometry(), view.title.parentWidget().sizeHint()
    view.title.setText("Spin contrast at 2870.123 MHz (step 61, sweep 12) " * 3)
    qtbot.wait(20)
    assert (view.graphics.geometry(), view.title.parentWidget().sizeHint()) == before
    assert view.title.text().startswith("Spin contrast at 2870.123 MHz")
    assert view.title.width() == view.title.parentWidget().width() > 300  # the label spans the view


def test_the_spectrum_range_is_set_before_it_is_painted(qtbot):
    view = SpectrumView()
    qtbot.addWidget(view)
    view.show()
    freq_hz = np.linspace(2.86e9, 2.88e9, 21)
    values = 1.0 - 0.2 * np.exp(-((freq_hz - 2.87e9) / 2e6) ** 2)
    view.set_spectrum((1, 2), freq_hz, values)  # no event processed in between
    y0, y1 = view.plot.viewRange()[1]
    assert y0 <= values.min() and y1 >= values.max()
    assert y1 - y0 < 0.3  # the data's range (with padding), not the empty plot's 0..1 (x: the sweep form's)


def test_the_spectrum_range_stays_for_similar_spectra_and_a_users_zoom_stays_until_auto_range(qtbot):
    view = SpectrumView()
    qtbot.addWidget(view)
    view.show()
    freq_hz = np.linspace(2.86e9, 2.88e9, 21)

    def dip(depth):
        return 1.0 - depth * np.exp(-((freq_hz - 2.87e9) / 2e6) ** 2)

    view.set_spectrum((1, 2), freq_hz, dip(0.2))
    first = view.plot.viewRange()
    view.set_spectrum((1, 3), freq_hz, dip(0.19))  # the next pixel: about the same spectrum
    assert view.plot.viewRange() == first
    view.set_spectrum((1, 4), freq_hz, dip(0.3))  # deeper than the range: it follows
    assert view.plot.viewRange()[1][0] < 0.7 < first[1][0]
    box = view.plot.getViewBox()
    box.scaleBy((0.5, 0.5))
    box.sigRangeChangedManually.emit(box.state["mouseEnabled"])  # as a mouse zoom signals it
    zoomed = view.plot.viewRange()
    view.set_spectrum((1, 5), freq_hz, dip(0.05))
    assert view.plot.viewRange() == zoomed  # the user's range stays
    view.plot.autoBtn.clicked.emit(False)  # the "A" button
    y0, y1 = view.plot.viewRange()[1]
    assert y0 < 0.95 and y1 > 1.0 and y1 - y0 < 0.1  # follows the data again


def test_the_spectrum_spans_the_whole_sweep_while_steps_are_still_missing(qtbot):
    view = SpectrumView()
    qtbot.addWidget(view)
    view.show()
    freq_hz = np.linspace(2.86e9, 2.88e9, 21)
    values = 1.0 - 0.2 * np.exp(-((freq_hz - 2.87e9) / 2e6) ** 2)
    values[8:] = np.nan  # the first sweep, 8 steps in
    view.set_spectrum((1, 2), freq_hz, values)
    x0, x1 = view.plot.viewRange()[0]
    assert x0 <= 2860.0 and x1 >= 2880.0  # MHz: the sweep's width, not the 8 measured steps'
    first = view.plot.viewRange()
    values[8:12] = 1.0 - 0.2 * np.exp(-((freq_hz[8:12] - 2.87e9) / 2e6) ** 2)
    view.set_spectrum((1, 2), freq_hz, values)
    assert view.plot.viewRange()[0] == first[0]  # four more steps: the same width
