"""The bootstrap over cells gives the study's own sampling noise of B_max, the half-maximum and the means."""

import numpy as np
import pytest

from analysis.study.bootstrap import bootstrap_saturation

C = np.array([20.0, 40.0, 100.0, 200.0, 500.0])


def _groups(n, seed):
    rng = np.random.default_rng(seed)
    mean = 2.9e-6 * (1 - np.exp(-C * np.log(2) / 116.0))
    return [m * np.exp(0.35 * rng.standard_normal(n) - 0.5 * 0.35**2) for m in mean]


def test_mean_spread_is_the_standard_error_and_shrinks_with_more_cells():
    small = bootstrap_saturation(C, _groups(30, 1), "exponential", n_boot=200, seed=2)
    large = bootstrap_saturation(C, _groups(120, 1), "exponential", n_boot=200, seed=2)
    groups = _groups(30, 1)
    sem = np.array([g.std(ddof=1) / np.sqrt(g.size) for g in groups])
    # 200 resamples: the bootstrap sd of a mean matches the standard error to ~10 % (1 / sqrt(2 x 200) = 5 %)
    np.testing.assert_allclose(small["mean_sd"], sem, rtol=0.2)
    assert small["n_ok"] >= 190
    # 4x the cells: half the noise (within the bootstrap's own scatter)
    assert large["b_max_sd"] / small["b_max_sd"] == pytest.approx(0.5, rel=0.3)
    assert large["c_half_sd"] / small["c_half_sd"] == pytest.approx(0.5, rel=0.3)


def test_spread_matches_independent_studies():
    # the bootstrap of one study predicts the scatter of B_max over independent studies of the same size
    from analysis.study.saturation import fit_saturation

    fits = []
    for seed in range(40):
        g = _groups(40, 100 + seed)
        mean = np.array([v.mean() for v in g])
        sem = np.array([v.std(ddof=1) / np.sqrt(v.size) for v in g])
        fits.append(fit_saturation("exponential", C, mean, sem).b_max)
    boot = bootstrap_saturation(C, _groups(40, 7), "exponential", n_boot=200, seed=3)
    # 40 studies: the sd is known to ~11 %; one study's bootstrap to ~15 %
    assert boot["b_max_sd"] == pytest.approx(np.std(fits, ddof=1), rel=0.45)
