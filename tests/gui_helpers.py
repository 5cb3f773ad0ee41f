"""Shared set-up of the GUI tests: a small virtual microscope (48 x 48, one cell), the instrument layer's mocks on
it (pylablib mock camera, SCPI mock generator over pyvisa, mock shutter, as the app starts with no hardware), the
window with settings and log in a temp folder, and a short sweep around the f- transition.

Tests change the mocks through the instrument configuration (a dict shaped like the TOML file): a camera frame
period ``{"camera": {"readout_s": 0.002}}``, an injected fault ``{"faults": {"rf_timeout_after_n_commands": 50}}``
(``instruments/faults.py``)."""

import numpy as np

from analysis import physics
from instruments.config import config_from_dict
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample

N_PX = 48
CELL = physics.LabelledCell(31e-6, 31e-6, 10e-6, 12e-6, 2.0e-15, n_clusters=60, cluster_seed=4)


def small_microscope(seed=2):
    return VirtualMicroscope(VirtualSample(n_rows=N_PX, n_cols=N_PX, cells=(CELL,)), seed=seed)


def sweep_values(vm, points=21, pairs=3, half_width_hz=4e6):
    f_minus, _ = physics.transitions_hz(float(np.mean(vm.b_nv_map_t)), vm.d_hz)
    return {"w1_start_mhz": f"{(f_minus - half_width_hz) / 1e6:.4f}",
            "w1_stop_mhz": f"{(f_minus + half_width_hz) / 1e6:.4f}",
            "w1_points": str(points), "pairs": str(pairs), "sweeps": "1", "exposure_ms": "1.0", "power_dbm": "0"}


def mock_backend(vm=None, config=None):
    """``FactoryBackend`` over the instrument layer's mocks on ``vm`` (default ``small_microscope()``), the default
    configuration overridden by ``config``."""
    from app.core.factory_backend import FactoryBackend

    return FactoryBackend(config_from_dict(config or {}, "the test's configuration"),
                          vm if vm is not None else small_microscope())


def open_window(qtbot, tmp_path, vm=None, config=None, seams=None, values=None):
    """The window on ``vm`` with the instrument layer's mocks (``config``: see the module docstring), connected,
    its sweep settings ``values`` (default ``sweep_values(vm)``)."""
    from app.gui.main_window import MainWindow

    vm = vm if vm is not None else small_microscope()
    window = MainWindow(mock_backend(vm, config), seams=seams,
                        settings_path=tmp_path / "settings.ini", log_dir=str(tmp_path / "logs"))
    qtbot.addWidget(window)
    window.session_actions.set_data_dir(tmp_path / "sessions")  # never the user's own data folder
    window.show()
    qtbot.waitUntil(window.instruments.all_connected, timeout=10000)  # the first opens pyvisa, pylablib
    window.sweep_panel.set_values({**window.sweep_panel.values(), **(values or sweep_values(vm))})
    return window, vm


def run_to_end(qtbot, window, timeout_ms=30000):
    qtbot.waitUntil(lambda: not window.controller.running, timeout=timeout_ms)
    qtbot.waitUntil(lambda: not window.controller.fitter.busy, timeout=timeout_ms)
    window.refresh_all()


def assert_review_matches(review, cube, shown):
    """Review mode shows the session exactly as it was live: the spin-contrast cube (float32 in both), the
    field maps and every fit map."""
    np.testing.assert_allclose(review.cube, cube, rtol=2e-7, equal_nan=True)
    maps = review.field_maps()
    for name in ("b_nv_t", "background_t", "residual_t", "quality"):
        np.testing.assert_array_equal(getattr(maps, name), getattr(shown, name), err_msg=name)
    for name, array in shown.fit.to_arrays().items():
        np.testing.assert_array_equal(getattr(maps.fit, name), array, err_msg=name)
    return maps


def shown_image_view(qtbot, width, height):
    """A spin-contrast ImageView (1 µm pixels, no axes) shown at ``width`` x ``height``."""
    from app.gui.views.image_view import ImageView

    view = ImageView("Spin contrast", "PL", "viridis", pixel_size_m=1e-6, axes=False)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view
