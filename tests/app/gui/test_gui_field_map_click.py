"""Clicking the field map picks exactly the clicked pixel, and the spectrum view shows that pixel's data."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt

from tests.gui_helpers import open_window, run_to_end


def _viewport_point(view, row, col, frac_row, frac_col):
    """A point at fractional position (frac_row, frac_col) inside pixel (row, col), on the view's viewport."""
    scene = view.image.mapToScene(QPointF(col + frac_col, row + frac_row))
    return view.graphics.mapFromScene(scene)


@pytest.mark.parametrize("row, col, frac", [(30, 12, (0.5, 0.5)), (7, 40, (0.2, 0.8)), (0, 47, (0.5, 0.5))])
def test_click_emits_the_pixel_and_updates_the_spectrum(qtbot, tmp_path, row, col, frac):
    window, _ = open_window(qtbot, tmp_path)
    window.start_sweep()
    run_to_end(qtbot, window)
    view = window.field_view.view
    screen_px_per_image_px = view.graphics.mapFromScene(view.image.mapToScene(QPointF(1, 0))).x() - \
        view.graphics.mapFromScene(view.image.mapToScene(QPointF(0, 0))).x()
    assert screen_px_per_image_px > 4  # a viewport point lands well inside the pixel
    pos = _viewport_point(view, row, col, *frac)
    assert isinstance(pos, QPoint) and view.pixel_at_viewport_pos(pos) == (row, col)
    with qtbot.waitSignal(window.field_view.pixelClicked, timeout=2000) as blocker:
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [row, col]
    assert window.spectrum_view.pixel == (row, col)
    freq_hz, shown = window.spectrum_view.measured()
    engine_cube = window.controller.engine.spin_contrast_cube()
    np.testing.assert_allclose(freq_hz, window.controller.plan.frequencies_hz)
    np.testing.assert_allclose(shown, engine_cube[:, row, col], rtol=1e-6)
    # the fit curve is drawn for that pixel too, and its dips sit where that pixel's fit put the line centre
    fit_f, fit_pl = window.spectrum_view.fitted()
    assert fit_f is not None and len(fit_f) > 100
    center_hz = window.controller.field_maps().fit.center_hz[row, col]
    assert np.min(fit_pl) < 1.0 and abs(fit_f[np.argmin(fit_pl)] - center_hz) == pytest.approx(1.515e6, abs=0.1e6)
