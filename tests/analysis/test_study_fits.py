"""The study's fits on the LM core: Faddeeva/Voigt, the two saturation models with AIC, the detection limit."""

import math

import numpy as np
import pytest
from scipy.special import voigt_profile, wofz

from analysis import physics
from analysis.study import (
    EXPONENTIAL,
    LANGMUIR,
    compare_saturation_models,
    detection_limit_z_m,
    faddeeva,
    fit_saturation,
    fit_voigt_histogram,
    iron_mass_for_normalised_field_kg,
    required_field_noise_t,
    required_integration_time_s,
    saturation_curve,
    voigt_fwhm,
    voigt_pdf,
)

CONC = np.array([20.0, 40.0, 100.0, 200.0, 500.0])


def test_faddeeva_matches_scipy_over_the_voigt_half_plane():
    x = np.linspace(-40, 40, 161)
    y = np.concatenate(([0.0, 1e-8, 1e-3], np.logspace(-2, 2, 30)))
    z = x[:, None] + 1j * y[None, :]
    assert np.max(np.abs(faddeeva(z) - wofz(z)) / np.abs(wofz(z))) < 1e-11


def test_voigt_profile_matches_scipy():
    x = np.linspace(-3e-6, 5e-6, 101)
    assert np.allclose(voigt_pdf(x, 1.2e-6, 0.3e-6, 0.1e-6), voigt_profile(x - 1.2e-6, 0.3e-6, 0.1e-6), rtol=1e-10)


def test_voigt_fit_recovers_peak_and_width_of_a_histogram():
    rng = np.random.default_rng(3)
    mu, sigma, gamma, n = 1.25e-6, 0.30e-6, 0.08e-6, 4000
    values = mu + sigma * rng.standard_normal(n) + gamma * rng.standard_cauchy(n)
    fit = fit_voigt_histogram(values, bins=40, value_range=(-0.5e-6, 3.0e-6))
    assert fit.converged
    # 4 sigma: the recovered values scatter by their standard errors
    assert abs(fit.peak - mu) < 4 * fit.peak_err
    assert fit.peak_err < 0.02e-6
    assert abs(fit.fwhm - voigt_fwhm(sigma, gamma)) < 4 * fit.fwhm_err
    assert 0.5 < fit.reduced_chi2 < 2.0


def test_voigt_fit_refuses_too_few_values():
    with pytest.raises(ValueError, match="at least 5"):
        fit_voigt_histogram([1.0, 2.0, 3.0])


@pytest.mark.parametrize("model", [EXPONENTIAL, LANGMUIR])
def test_saturation_fit_recovers_known_parameters_within_errors(model):
    rng = np.random.default_rng(11)
    truth = saturation_curve(model, CONC, 2.91e-6, 116.39)
    sem = 0.05 * truth + 0.02e-6
    pulls_b, pulls_c = [], []
    for _ in range(40):
        fit = fit_saturation(model, CONC, truth + rng.normal(0, sem), sem)
        assert fit.converged
        pulls_b.append((fit.b_max - 2.91e-6) / fit.b_max_err)
        pulls_c.append((fit.c_half - 116.39) / fit.c_half_err)
    # the pulls of a correct fit with correct errors scatter ~N(0, 1) (the Birge inflation only widens them)
    assert abs(np.mean(pulls_b)) < 0.6 and abs(np.mean(pulls_c)) < 0.6
    assert np.std(pulls_b) < 1.4 and np.std(pulls_c) < 1.4


def test_exact_data_give_exact_parameters():
    fit = fit_saturation(EXPONENTIAL, CONC, saturation_curve(EXPONENTIAL, CONC, 2.91e-6, 116.39), np.full(5, 1e-8))
    assert fit.b_max == pytest.approx(2.91e-6, rel=1e-6)
    assert fit.c_half == pytest.approx(116.39, rel=1e-6)
    assert fit.aic == pytest.approx(4.0, abs=1e-6)  # chi2 = 0, k = 2


@pytest.mark.parametrize("true_model", [EXPONENTIAL, LANGMUIR])
def test_aic_prefers_the_true_model_on_clear_data(true_model):
    c = np.array([10.0, 20.0, 40.0, 70.0, 100.0, 150.0, 200.0, 300.0, 500.0, 800.0])
    y = saturation_curve(true_model, c, 2.91e-6, 116.39)
    sem = np.full(c.size, 0.02e-6)
    y = y + np.random.default_rng(5).normal(0, sem)
    comparison = compare_saturation_models(c, y, sem)
    assert comparison.preferred == true_model
    assert comparison.delta_aic > 10
    assert comparison.decisive and comparison.headline == true_model  # a decisive preference sets the headline


def test_headline_stays_with_the_papers_model_when_the_data_cannot_decide():
    # the default study's situation: five means exactly on the exponential curve, errors of 6-7 % each, still
    # only delta AIC ~1 between the models; slightly perturbed means can put Langmuir ahead by less than 2
    sem = 0.065 * saturation_curve(EXPONENTIAL, CONC, 2.91e-6, 116.39)
    y = saturation_curve(EXPONENTIAL, CONC, 2.91e-6, 116.39) * np.array([1.15, 1.05, 1.08, 1.0, 1.06])
    comparison = compare_saturation_models(CONC, y, sem)
    assert comparison.preferred == LANGMUIR and comparison.delta_aic < 2
    assert not comparison.decisive
    assert comparison.headline == EXPONENTIAL and comparison.best is comparison.fits[EXPONENTIAL]
    assert comparison.to_dict()["headline"] == EXPONENTIAL


def test_saturation_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="at least 3"):
        fit_saturation(EXPONENTIAL, [20.0, 40.0], [1e-6, 2e-6], [1e-7, 1e-7])


def test_detection_limit_agrees_with_a_direct_search():
    mass = 1.75e-15
    eta, t, k = 200e-9, 1.0, 6.0
    z_max = detection_limit_z_m(mass, eta, t, k)
    sigma = eta / math.sqrt(t)
    z = np.linspace(2e-6, 60e-6, 58001)
    peak = physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(mass), z)
    direct = z[peak >= k * sigma].max()
    assert z_max == pytest.approx(direct, abs=2e-9)


def test_paper_detection_statement_implies_about_190_nt_field_noise():
    """The paper: 2.71 uT normalised field, SNR >= 6 up to 20 um. That is a field noise of 190 nT per pixel,
    i.e. 1.1 s of effective integration at 200 nT/sqrt(Hz). The simulated 256 x 256 sweep (101 steps x 300
    pairs x 1 ms) gives ~160 nT per pixel (docs/study.md), so its detection limit is ~21.2 um for that cell."""
    assert required_field_noise_t(2.71e-6, 20e-6, 6.0) == pytest.approx(190e-9, rel=0.01)
    t = required_integration_time_s(2.71e-6, 20e-6, 200e-9, 6.0)
    assert t == pytest.approx(1.10, rel=0.01)
    mass = iron_mass_for_normalised_field_kg(2.71e-6)
    assert detection_limit_z_m(mass, 200e-9, t, 6.0) == pytest.approx(20e-6, rel=1e-9)
    assert detection_limit_z_m(mass, 160e-9, 1.0, 6.0) == pytest.approx(21.2e-6, rel=0.01)
