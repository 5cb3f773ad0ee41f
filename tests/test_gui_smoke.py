"""The window starts on the virtual microscope and shows a live camera frame."""

import numpy as np

from app.main_window import MainWindow
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample


def test_main_window_shows_field_and_camera(qtbot):
    window = MainWindow(VirtualMicroscope(VirtualSample(n_rows=64, n_cols=64), seed=1))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.camera_view.image is not None, timeout=3000)
    assert window.camera_view.image.shape == (64, 64)
    assert np.mean(window.camera_view.image) > 1000  # shutter open: lit frames, not dark ones
    window.timer.stop()
