"""fit_odmr on simulated spin-contrast cubes with a known B_NV map (virtual microscope, real EMCCD noise)."""

import threading
import time

import numpy as np
import pytest

from analysis import physics
from analysis.odmr import AT_BOUND, MASKED, NOT_CONVERGED, fit_odmr
from tests.odmr_simulation import spin_contrast_cube, strong_dipole_microscope

FREQ_MINUS_HZ = np.linspace(2.020e9, 2.040e9, 81)
"""Around f- = D - gamma * 30 mT = 2.0292 GHz, wide enough for the strongest dipole (+-7 MHz)."""


@pytest.fixture(scope="module")
def microscope():
    return strong_dipole_microscope()


@pytest.fixture(scope="module")
def cube(microscope):
    return spin_contrast_cube(microscope, FREQ_MINUS_HZ)


@pytest.fixture(scope="module")
def fit(cube, microscope):
    return fit_odmr(cube, FREQ_MINUS_HZ, model="15N", transitions=1, d_hz=microscope.d_hz)


def test_converges_on_nearly_every_pixel(fit):
    assert fit.converged.mean() >= 0.995
    assert fit.center_hz.shape == fit.b_nv_t.shape == fit.converged.shape == (64, 64)


def test_field_errors_match_the_reported_standard_errors(fit, microscope):
    # The pulls (fit - truth) / standard error of an honest fit are unit normal: RMS 1 within the spread
    # of an RMS over ~4000 pixels (about 1 %), plus the bias of the few-parameter error estimate.
    pull = ((fit.b_nv_t - microscope.b_nv_map_t) / fit.b_nv_err_t)[fit.converged]
    rms = float(np.sqrt(np.mean(pull**2)))
    assert 0.8 <= rms <= 1.3, rms
    assert abs(float(np.mean(pull))) < 0.1
    # and the errors are those of this noise level: ~1 uT per pixel for 10 on/off pairs of 1 ms
    assert 0.3e-6 < float(np.median(fit.b_nv_err_t)) < 3e-6


def test_pixels_on_strong_dipoles_are_found(fit, microscope):
    # Lines moved by more than 3 widths from the field's median: the per-pixel guess must follow them.
    shift_hz = physics.GYROMAGNETIC_RATIO_HZ_PER_T * (microscope.b_nv_map_t - np.median(microscope.b_nv_map_t))
    strong = np.abs(shift_hz) > 3 * 0.85e6
    assert strong.sum() >= 10, "the sample should hold strongly shifted pixels"
    assert fit.converged[strong].all()
    pull = (fit.b_nv_t - microscope.b_nv_map_t)[strong] / fit.b_nv_err_t[strong]
    assert np.max(np.abs(pull)) < 5.0


def test_line_parameters_match_the_microscope(fit, microscope):
    fwhm_hz, contrast = microscope.spin.line_parameters(0.0)
    assert np.median(fit.fwhm_hz) == pytest.approx(fwhm_hz, rel=0.02)
    assert np.median(fit.contrast) == pytest.approx(contrast, rel=0.03)
    assert np.median(fit.baseline) == pytest.approx(1.0, abs=0.002)


def test_two_transitions_give_field_and_zero_field_splitting(microscope):
    # Two sub-sweeps, one around each transition, fitted together: B_NV and D per pixel.
    f_minus, f_plus = physics.transitions_hz(np.median(microscope.b_nv_map_t), microscope.d_hz)
    freq = np.concatenate([np.linspace(-10e6, 10e6, 41) + f_minus, np.linspace(-10e6, 10e6, 41) + f_plus])
    cube = spin_contrast_cube(microscope, freq, n_pairs=5)[:32, :32]
    fit = fit_odmr(cube, freq, model="15N", transitions=2)
    truth = microscope.b_nv_map_t[:32, :32]
    assert fit.center_hz.shape == (32, 32, 2)
    assert fit.converged.mean() >= 0.99
    pull = ((fit.b_nv_t - truth) / fit.b_nv_err_t)[fit.converged]
    assert 0.8 <= np.sqrt(np.mean(pull**2)) <= 1.3
    d_pull = ((fit.d_hz - microscope.d_hz) / fit.d_err_hz)[fit.converged]
    assert 0.8 <= np.sqrt(np.mean(d_pull**2)) <= 1.3


def test_binning_averages_blocks_and_mask_skips_pixels(cube, microscope, fit):
    mask = np.zeros((64, 64), dtype=bool)
    mask[:32] = True
    binned = fit_odmr(cube, FREQ_MINUS_HZ, model="15N", binning=2, mask=mask, d_hz=microscope.d_hz)
    assert binned.b_nv_t.shape == (32, 32)
    fitted = ~((binned.flags & MASKED) > 0)
    assert fitted[:16].all() and not fitted[16:].any()
    assert np.isnan(binned.b_nv_t[16:]).all()
    assert (binned.flags[16:] & NOT_CONVERGED).all()
    # Averaging 4 pixels halves the noise: the binned errors are about half of the single-pixel ones
    # where the field is flat (away from the dipoles, whose gradients broaden the binned line).
    ratio = np.median(binned.b_nv_err_t[:16]) / np.median(fit.b_nv_err_t[:32])
    assert 0.4 < ratio < 0.65


def test_free_lorentzians_find_both_hyperfine_lines(cube, microscope):
    fit = fit_odmr(cube[:16, :16], FREQ_MINUS_HZ, model="free", n_lines=2, d_hz=microscope.d_hz)
    assert fit.fwhm_hz.shape == (16, 16, 2)
    lines = np.sort(fit.params[:, :, 3::3], axis=-1)
    split = (lines[..., 1] - lines[..., 0])[fit.converged]
    assert np.median(split) == pytest.approx(physics.HYPERFINE_15N_HZ, rel=0.01)
    pull = ((fit.b_nv_t - microscope.b_nv_map_t[:16, :16]) / fit.b_nv_err_t)[fit.converged]
    assert np.sqrt(np.mean(pull**2)) < 1.5


def test_contrast_free_pixels_are_flagged(cube):
    flat = cube.copy()
    flat[0, 0] = 1.0 + np.random.default_rng(0).normal(0.0, 0.002, FREQ_MINUS_HZ.size)
    fit = fit_odmr(flat[:8, :8], FREQ_MINUS_HZ)
    assert fit.flags[0, 0] & 4  # LOW_CONTRAST
    assert not (fit.flags[1:, 1:] & 4).any()
    assert fit.to_arrays()["flags"].dtype == np.uint8


def test_upper_bound_on_the_centre_is_flagged(cube):
    # Cut the sweep so that part of the field's lines lies beyond its upper end.
    fit = fit_odmr(cube[:, :, :30], FREQ_MINUS_HZ[:30])
    assert (fit.flags & AT_BOUND).any()


def test_fit_releases_the_gil(cube):
    # A live fitter runs fit_odmr in a worker thread: the main thread must keep running meanwhile. Counted as
    # ticks per millisecond of fitting (not a tick count: the fit's speed varies), over four 256 x 256 fits, most
    # of whose time is the per-pixel kernel: with the GIL released the main thread ticks about once per
    # millisecond (0.9 on a quiet 2-core machine); with it held, only in the numpy stages around the kernel.
    big = np.tile(cube, (4, 4, 1))
    fit_odmr(big[:8, :8], FREQ_MINUS_HZ)  # compiled or loaded before the count
    done = threading.Event()
    elapsed = []

    def fits():
        start = time.perf_counter()
        for _ in range(4):
            fit_odmr(big, FREQ_MINUS_HZ)
        elapsed.append(time.perf_counter() - start)
        done.set()

    worker = threading.Thread(target=fits)
    ticks = 0
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    per_ms = ticks / (elapsed[0] * 1e3)
    assert per_ms >= 0.3, f"main thread ran only {ticks} times in {elapsed[0] * 1e3:.0f} ms of fitting"


def test_concurrent_fits_from_several_threads_agree(cube, fit):
    # The live fitter and a notebook may fit at once: numba's parallel layer must take concurrent calls.
    results = [None] * 3

    def work(i):
        results[i] = fit_odmr(cube, FREQ_MINUS_HZ, model="15N", transitions=1, d_hz=fit.assumed_d_hz)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r.center_hz, fit.center_hz)
