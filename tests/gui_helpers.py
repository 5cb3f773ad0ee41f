"""Shared set-up of the GUI tests: a small virtual microscope (48 x 48, one cell), the window on it with
settings and log in a temp folder, and a short sweep around the f- transition."""

import time

import numpy as np

from analysis import physics
from app.seams.virtual_instruments import VirtualBackend
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


class SlowCamera:
    """Wraps a camera so each frame takes at least ``frame_s`` (a real camera's frame period)."""

    def __init__(self, camera, frame_s=0.002):
        self.camera, self.frame_s = camera, frame_s

    def __getattr__(self, name):
        return getattr(self.camera, name)

    def grab(self, n, **kwargs):
        time.sleep(self.frame_s * n)
        return self.camera.grab(n, **kwargs)


def open_window(qtbot, tmp_path, vm=None, factories=None, seams=None, values=None, mock_chain=False):
    """The window on ``vm`` with the app's in-process mocks (``factories`` replace some), or with
    ``mock_chain`` the instrument layer's mocks (SCPI generator over pyvisa, pylablib camera), as the app starts."""
    from app.main_window import MainWindow
    from app.seams.instruments import make_backend

    vm = vm if vm is not None else small_microscope()
    backend = make_backend(None, vm) if mock_chain else VirtualBackend(vm, factories=factories)
    window = MainWindow(backend, seams=seams,
                        settings_path=tmp_path / "settings.ini", log_dir=str(tmp_path / "logs"))
    qtbot.addWidget(window)
    window.session_actions.set_data_dir(tmp_path / "sessions")  # never the user's own data folder
    window.show()
    qtbot.waitUntil(window.instruments.all_connected, timeout=5000)
    window.sweep_panel.set_values({**window.sweep_panel.values(), **(values or sweep_values(vm))})
    return window, vm


def run_to_end(qtbot, window, timeout_ms=30000):
    qtbot.waitUntil(lambda: not window.controller.running, timeout=timeout_ms)
    qtbot.waitUntil(lambda: not window.controller._fitter.busy, timeout=timeout_ms)
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
