"""The field map's fit quality reads ~1 for fits as good as the noise, like the cell table's chi2_red."""

import numpy as np

from analysis import physics
from app.core.fit_quality import spectrum_noise_variance, weighted_reduced_chi2


def _cube(sigma, rng, n_px=48):
    freq_hz = np.linspace(2.025e9, 2.033e9, 41)
    line = physics.odmr_spectrum(freq_hz, 2.029e9, 1.0e6, 0.015)
    return line + rng.normal(0.0, sigma, (n_px, n_px, freq_hz.size))


def test_the_noise_variance_is_recovered_despite_the_line_and_a_window_jump():
    rng = np.random.default_rng(1)
    sigma = 1e-3
    cube = _cube(sigma, rng)
    # 48*47 pixel pairs x 41 points: the median of d^2 is good to ~2 %; neighbours share the line
    assert abs(spectrum_noise_variance(cube) / sigma**2 - 1) < 0.06
    cube[20:24, 20:24] += 0.01  # a cell's pixels differ from their neighbours: the median ignores them
    assert abs(spectrum_noise_variance(cube) / sigma**2 - 1) < 0.08
    session_layout = np.moveaxis(cube, -1, 0)  # a session's (steps, rows, cols)
    assert spectrum_noise_variance(session_layout, freq_axis=0) == spectrum_noise_variance(cube)


def test_an_ideal_fits_reduced_chi2_reads_one_and_a_bad_one_reads_more():
    rng = np.random.default_rng(2)
    sigma = 2e-3
    cube = _cube(sigma, rng, n_px=32)
    unweighted = np.full((32, 32), sigma**2)  # what a fit of the right model gives on average
    unweighted[0, 0] = 10 * sigma**2
    quality = weighted_reduced_chi2(unweighted, cube)
    assert abs(np.median(quality) - 1) < 0.08 and quality[0, 0] > 9
    assert np.all(np.isnan(weighted_reduced_chi2(unweighted, np.full((4, 4, 3), np.nan))))
