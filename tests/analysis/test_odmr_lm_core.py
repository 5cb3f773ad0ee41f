"""The generic Levenberg-Marquardt core with a plug-in model (here a Gaussian peak on an offset)."""

import numpy as np
import pytest
from numba import njit

from analysis.fitting import fit_many, lm_fit, lm_model

scipy_optimize = pytest.importorskip("scipy.optimize", reason="scipy (dev extra) is needed for the reference fits")

TRUE = np.array([2.0, 0.3, 1.1, 0.5])  # amplitude, centre, sigma, offset
X = np.linspace(-5.0, 5.0, 101)
NOISE = 0.1


@lm_model
def gaussian_peak(params, x, consts, values, jac):
    amplitude, centre, sigma, offset = params[0], params[1], params[2], params[3]
    for i in range(x.shape[1]):
        z = (x[0, i] - centre) / sigma
        e = np.exp(-0.5 * z * z)
        values[i] = amplitude * e + offset
        jac[0, i] = e
        jac[1, i] = amplitude * e * z / sigma
        jac[2, i] = amplitude * e * z * z / sigma
        jac[3, i] = 1.0


def _gaussian(x, amplitude, centre, sigma, offset):
    return amplitude * np.exp(-0.5 * ((x - centre) / sigma) ** 2) + offset


def _data(m, seed=1):
    return _gaussian(X, *TRUE) + np.random.default_rng(seed).normal(0.0, NOISE, (m, X.size))


def test_matches_scipy_curve_fit_values_and_errors():
    y = _data(1)[0]
    fit = fit_many(gaussian_peak, X, y, [1.5, 0.0, 1.5, 0.3])
    ref, ref_cov = scipy_optimize.curve_fit(_gaussian, X, y, p0=[1.5, 0.0, 1.5, 0.3])
    assert fit.converged[0]
    np.testing.assert_allclose(fit.params[0], ref, rtol=1e-6)
    np.testing.assert_allclose(fit.std_err[0], np.sqrt(np.diag(ref_cov)), rtol=1e-4)
    assert fit.reduced_chi2[0] == pytest.approx(np.sum((_gaussian(X, *ref) - y) ** 2) / (X.size - 4), rel=1e-8)


def test_standard_errors_are_honest_over_many_fits():
    # error / standard error is unit normal; the RMS over 2000 fits has a spread of about 1.6 %.
    fit = fit_many(gaussian_peak, X, _data(2000), [1.5, 0.0, 1.5, 0.3], lower=[0, -5, 0.1, -10],
                   upper=[10, 5, 10, 10])
    assert fit.converged.all()
    pull = (fit.params - TRUE) / fit.std_err
    np.testing.assert_allclose(np.sqrt(np.mean(pull**2, axis=0)), 1.0, atol=0.06)


def test_absolute_sigma_gives_unscaled_covariance():
    y = _data(1, seed=3)[0]
    sigma = np.full(X.size, NOISE)
    fit = fit_many(gaussian_peak, X, y, [1.5, 0.0, 1.5, 0.3], sigma=sigma, absolute_sigma=True)
    _, ref_cov = scipy_optimize.curve_fit(_gaussian, X, y, p0=[1.5, 0.0, 1.5, 0.3], sigma=sigma, absolute_sigma=True)
    np.testing.assert_allclose(fit.cov[0], ref_cov, rtol=1e-4, atol=1e-4 * ref_cov.diagonal().min())
    # chi2 is then in units of sigma^2: about n - p for the right sigma
    assert 60 < fit.chi2[0] < 140


def test_a_bound_stops_the_parameter_and_is_reported():
    fit = fit_many(gaussian_peak, X, _data(1)[0], [1.5, 0.0, 0.5, 0.3], upper=[10, 5, 0.9, 10])
    assert fit.params[0, 2] == 0.9
    assert fit.at_bound[0] and fit.converged[0]


def test_noise_free_data_converge_to_the_truth():
    fit = fit_many(gaussian_peak, X, _gaussian(X, *TRUE), [1.5, 0.0, 1.5, 0.3])
    assert fit.converged[0]
    np.testing.assert_allclose(fit.params[0], TRUE, rtol=1e-9)


@njit
def _fit_in_numba(y, start):
    # The plug-in contract from compiled code: pass the model function itself to lm_fit.
    cov = np.empty((4, 4))
    lower = np.full(4, -np.inf)
    upper = np.full(4, np.inf)
    x = X.reshape(1, -1).copy()
    params = start.copy()
    result = lm_fit(gaussian_peak, x, y, np.empty(0), np.zeros(1), params, lower, upper, cov, 100, 1e-6, True)
    return params, result[3]


def test_core_is_callable_from_numba_code():
    y = _data(1)[0]
    params, converged = _fit_in_numba(y, np.array([1.5, 0.0, 1.5, 0.3]))
    assert converged
    np.testing.assert_allclose(params, fit_many(gaussian_peak, X, y, [1.5, 0.0, 1.5, 0.3]).params[0], rtol=1e-10)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="x has shape"):
        fit_many(gaussian_peak, X[:50], _data(1)[0], [1.5, 0.0, 1.5, 0.3])
    with pytest.raises(ValueError, match="upper has shape"):
        fit_many(gaussian_peak, X, _data(1)[0], [1.5, 0.0, 1.5, 0.3], upper=[1.0, 2.0])
    with pytest.raises(ValueError, match="lower bound above upper"):
        fit_many(gaussian_peak, X, _data(1)[0], [1.5, 0.0, 1.5, 0.3], lower=[3, 0, 0, 0], upper=[1, 1, 1, 1])
