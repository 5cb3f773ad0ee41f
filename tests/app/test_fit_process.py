"""The live fit in its own process (app.core.fit_process): the same maps as in the controller's thread, only the
changed steps sent, a killed process replaced without losing the sweep, and the controller wired to it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import physics
from app.core.acquisition_controller import AcquisitionController
from app.core.adaptive_sweep import AdaptiveController
from app.core.analysis_seams import AnalysisSeams
from app.core.field_maps import fit_field_maps, maps_from_message, maps_message
from app.core.file_messages import PipeConnection, send
from app.core.fit_process import FitProcess
from instruments.sweep import SweepPlan
from tests.gui_helpers import small_microscope
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter

PIXEL_M = 1.0e-6
ROOT = Path(__file__).resolve().parents[2]


def _sweep_cube(n_steps=21, rows=12, cols=10, seed=3):
    """(cube (n_steps, rows, cols) float32 as the controller keeps it, freq_hz): a dip moving across the image."""
    rng = np.random.default_rng(seed)
    freq_hz = np.linspace(2.025e9, 2.033e9, n_steps)
    centres_hz = 2.029e9 + np.linspace(-1e6, 1e6, rows * cols)
    spectra = np.array([physics.odmr_spectrum(freq_hz, c, 1.2e6, 0.02, isotope="15N") for c in centres_hz])
    spectra = spectra.reshape(rows, cols, n_steps) + rng.normal(0.0, 1e-3, (rows, cols, n_steps))
    return np.ascontiguousarray(np.moveaxis(spectra, -1, 0)).astype(np.float32), freq_hz


def _in_thread(cube, freq_hz, n_used, transitions=1):
    cube_t = np.ascontiguousarray(np.moveaxis(cube[:n_used], 0, -1))
    return fit_field_maps(AnalysisSeams(), cube_t, freq_hz[:n_used], transitions,
                          physics.ZERO_FIELD_SPLITTING_HZ, PIXEL_M)


def _assert_same_maps(got, want):
    # the same code on the same float32 data: equal but for the order of floating-point sums in numba's threads
    for name in ("b_nv_t", "background_t", "residual_t", "quality"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9, atol=1e-15, equal_nan=True)
    np.testing.assert_array_equal(got.fit.converged, want.fit.converged)
    np.testing.assert_allclose(got.fit.center_hz, want.fit.center_hz, rtol=1e-12, equal_nan=True)
    assert got.fit.param_names == want.fit.param_names and got.fit.model == want.fit.model
    assert got.n_steps_used == want.n_steps_used and got.d_hz == want.d_hz
    assert got.background_info["noise_t"] == pytest.approx(want.background_info["noise_t"], rel=1e-9)
    np.testing.assert_array_equal(got.background_info["used"], want.background_info["used"])


@pytest.fixture
def fits():
    process = FitProcess()
    yield process
    process.close()


def test_maps_cross_the_pipe_unchanged():
    cube, freq_hz = _sweep_cube()
    maps = _in_thread(cube, freq_hz, 21)
    _assert_same_maps(maps_from_message(maps_message(maps)), maps)


def test_the_process_fits_what_the_thread_fits_and_is_sent_only_changed_steps(fits, monkeypatch):
    cube, freq_hz = _sweep_cube()
    versions = np.zeros(len(cube), np.int64)
    versions[:15] = 1
    sent = []
    request = fits.request
    monkeypatch.setattr(fits, "request", lambda message, **kw: (sent.append(message), request(message, **kw))[1])
    settings = dict(model="15N", d_hz=physics.ZERO_FIELD_SPLITTING_HZ, pixel_size_m=PIXEL_M)

    maps = fits.fit_live(cube, versions, 15, freq_hz[:15], 1, **settings)
    _assert_same_maps(maps, _in_thread(cube, freq_hz, 15))
    assert [m["op"] for m in sent] == ["setup", "steps", "fit"] and sent[1]["index"] == list(range(15))

    sent.clear()
    versions[15:] = 1
    versions[3] = 2  # step 3 measured again (a second sweep)
    cube[3] *= np.float32(1.001)
    maps = fits.fit_live(cube, versions, 21, freq_hz, 1, **settings)
    _assert_same_maps(maps, _in_thread(cube, freq_hz, 21))
    assert [m["op"] for m in sent] == ["steps", "fit"] and sent[0]["index"] == [3, *range(15, 21)]

    sent.clear()
    fits.fit_live(cube.copy(), versions, 21, freq_hz, 1, **settings)  # another cube object: a new sweep
    assert [m["op"] for m in sent] == ["setup", "steps", "fit"] and len(sent[1]["index"]) == 21


def test_a_killed_process_is_replaced_and_sent_the_whole_sweep(fits):
    cube, freq_hz = _sweep_cube()
    versions = np.ones(len(cube), np.int64)
    settings = dict(model="15N", d_hz=physics.ZERO_FIELD_SPLITTING_HZ, pixel_size_m=PIXEL_M)
    fits.fit_live(cube, versions, 21, freq_hz, 1, **settings)
    first = fits.pid
    os.kill(first, signal.SIGKILL)
    os.waitpid(first, 0)
    maps = fits.fit_live(cube, versions, 21, freq_hz, 1, **settings)  # no step changed, yet all are sent again
    assert fits.pid != first and fits.starts == 2
    _assert_same_maps(maps, _in_thread(cube, freq_hz, 21))


def test_a_fit_error_in_the_process_reaches_the_caller_with_its_type(fits):
    cube, freq_hz = _sweep_cube()
    with pytest.raises(ValueError, match="freq"):
        fits.fit_cube(np.moveaxis(cube, 0, -1), freq_hz[:5], 1, model="15N", d_hz=2.87e9, pixel_size_m=None)


def _swept_and_fitted(fits):
    """A controller over ``fits`` after a 15-step sweep with live fits, checked against the fit in a thread."""
    vm = small_microscope()
    controller = AcquisitionController(AnalysisSeams(live_fits=fits), fit_interval_s=0.0)
    controller.start(SweepPlan.from_range(2025e6, 2033e6, 15, pairs_per_step=2),
                     FakeCamera(vm), FakeRF(vm), FakeShutter(vm), pixel_size_m=PIXEL_M)
    assert controller.wait(60) == "finished"
    assert controller.fitter.wait_idle(60)
    maps = controller.field_maps()
    assert controller.fitter.last_error is None and maps is not None and maps.n_steps_used == 15
    _assert_same_maps(maps, _in_thread(controller.contrast_cube(), controller.plan.frequencies_hz, 15))
    return controller


def test_the_controller_runs_its_live_fit_in_the_process_and_ends_it_on_close():
    fits = FitProcess()
    controller = _swept_and_fitted(fits)
    assert not controller._fits_here
    pid = fits.pid
    controller.close()
    assert fits.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: gone


def test_an_adaptive_runs_combined_fit_goes_through_the_process(fits):
    cube, freq_hz = _sweep_cube()
    cube_t = np.ascontiguousarray(np.moveaxis(cube, 0, -1))
    sigma = np.full(freq_hz.size, 1e-3)
    controller = AdaptiveController(AnalysisSeams(live_fits=fits))
    controller.pixel_size_m = PIXEL_M
    got = controller.fit_cube(cube_t, freq_hz, 1, sigma)
    want = fit_field_maps(AnalysisSeams(), cube_t, freq_hz, 1, physics.ZERO_FIELD_SPLITTING_HZ, PIXEL_M,
                          sigma=sigma)
    _assert_same_maps(got, want)
    controller.close()


def test_a_worker_whose_window_went_away_mid_fit_exits_quietly():
    """The window's process killed while a fit runs: the worker's reply finds no reader; it exits without a
    traceback on the terminal the app was started from."""
    cube, freq_hz = _sweep_cube(rows=64, cols=64)
    worker = subprocess.Popen([sys.executable, "-m", "app.core.fit_worker"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    send(PipeConnection(None, worker.stdin), {"op": "fit", "cube": np.moveaxis(cube, 0, -1), "freq_hz": freq_hz,
                                              "transitions": 1, "model": "15N", "d_hz": 2.87e9})
    worker.stdout.close()  # as a killed window would: nobody reads the reply
    worker.stdin.close()
    assert worker.wait(60) == 0
    assert worker.stderr.read().decode() == ""


class _CannotStart(FitProcess):
    module = "app.core.no_such_worker"  # the child ends at once: "No module named ..."


def test_a_fit_process_that_cannot_run_leaves_the_live_fit_in_the_window_process(capfd):
    controller = _swept_and_fitted(_CannotStart())
    assert controller.seams.live_fits.starts == 2  # tried once more, then never again
    controller.close()
    assert "no_such_worker" in capfd.readouterr().err  # the child's own complaint, on the app's stderr
