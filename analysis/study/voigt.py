"""A Voigt profile fitted to a histogram (the paper fits the normalised-field histogram of each sample).

Voigt profile (unit area): V(x; mu, sigma, gamma) = Re w(z) / (sigma sqrt(2 pi)), z = (x - mu + i gamma) /
(sigma sqrt 2), w the Faddeeva function (``faddeeva``): a Gaussian of standard deviation sigma convolved with
a Lorentzian of half width gamma. The model fitted to the counts n_i of bins centred at x_i is
n(x) = A V(x), A = (number of values) x (bin width) at a perfect fit; A is free.

Peak and width: the profile is symmetric, so the peak is at mu; the full width at half maximum is Olivero's
f_V = 0.5346 f_L + sqrt(0.2166 f_L^2 + f_G^2), f_L = 2 gamma, f_G = 2 sigma sqrt(2 ln 2) (J. J. Olivero and
R. L. Longbothum, JQSRT 17 (1977) 233; accurate to 0.02 %, far below any histogram's error). Its error is
propagated from the fit covariance of (sigma, gamma).

Bin errors are Poisson. The fit runs twice: first with sigma_i = sqrt(max(n_i, 1)) (Neyman: the observed
counts; an empty bin gets 1 count's error), then, from that result, with sigma_i = sqrt(max(mu_i, 1/4)), mu_i
the fitted expected count (Pearson), which removes Neyman's pull towards low counts and is close to the
Poisson maximum-likelihood fit. sigma is bounded below by 0.4 bin widths (a profile narrower than a bin is
not resolved) and sigma, gamma above by the histogram's span.
"""

import math
from dataclasses import dataclass

import numpy as np

from analysis.fitting import fit_many, lm_model

from .faddeeva import faddeeva_upper

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_FG_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_MIN_VALUES = 5


@lm_model
def voigt_counts_model(params, x, consts, values, jac):
    """params = [A, mu, sigma, gamma]; value = A V(x; mu, sigma, gamma); analytic Jacobian from w'(z)."""
    area, mu, sigma, gamma = params[0], params[1], params[2], params[3]
    s2 = sigma * _SQRT2
    norm = 1.0 / (sigma * _SQRT_2PI)
    for i in range(x.shape[1]):
        z = complex((x[0, i] - mu) / s2, gamma / s2)
        w = faddeeva_upper(z)
        dw = -2.0 * z * w + 1j * _TWO_OVER_SQRT_PI
        v = w.real * norm
        values[i] = area * v
        jac[0, i] = v
        jac[1, i] = area * norm * (-dw.real / s2)
        jac[2, i] = area * (norm * (dw * (-z / sigma)).real - v / sigma)
        jac[3, i] = area * norm * (-dw.imag / s2)


def voigt_pdf(x, mu, sigma, gamma):
    """V(x) of unit area (1/units of x)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.size)
    jac = np.empty((4, x.size))
    voigt_counts_model(np.array([1.0, mu, sigma, gamma]), np.ascontiguousarray(x.reshape(1, -1)), np.zeros(1), out,
                       jac)
    return out.reshape(x.shape)


def voigt_fwhm(sigma, gamma):
    """Olivero's FWHM of a Voigt profile (same units as sigma and gamma)."""
    f_g = _FG_PER_SIGMA * sigma
    f_l = 2.0 * gamma
    return 0.5346 * f_l + math.sqrt(0.2166 * f_l * f_l + f_g * f_g)


@dataclass
class Histogram:
    """Counts in bins: ``edges`` (n + 1,), ``counts`` (n,), ``errors`` (n,) = sqrt(max(count, 1))."""

    edges: np.ndarray
    counts: np.ndarray

    @property
    def centres(self):
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def errors(self):
        return np.sqrt(np.maximum(self.counts, 1.0))

    def to_dict(self, scale=1.0):
        """Plain lists (edges multiplied by ``scale``, e.g. 1e6 for T -> uT)."""
        return {"edges": (self.edges * scale).tolist(), "counts": self.counts.astype(int).tolist()}


def histogram(values, bins=None, value_range=None):
    """Histogram of the finite ``values``; ``bins`` default: the Rice rule 2 n^(1/3), at least 8."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if bins is None:
        bins = max(8, int(math.ceil(2.0 * v.size ** (1.0 / 3.0))))
    if value_range is None:
        value_range = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
        if value_range[1] <= value_range[0]:
            pad = 0.5 * (abs(value_range[0]) or 1.0)
            value_range = (value_range[0] - pad, value_range[1] + pad)
    counts, edges = np.histogram(v, bins=bins, range=value_range)
    return Histogram(edges.astype(np.float64), counts.astype(np.float64))


@dataclass
class VoigtFit:
    """A Voigt profile fitted to a histogram. Units are those of the histogrammed values."""

    peak: float
    peak_err: float
    fwhm: float
    fwhm_err: float
    sigma: float
    gamma: float
    area: float
    reduced_chi2: float
    converged: bool
    histogram: Histogram

    def curve(self, x):
        """The fitted counts at x (for plotting)."""
        return self.area * voigt_pdf(x, self.peak, self.sigma, self.gamma)

    def to_dict(self, scale=1.0):
        return {"peak": self.peak * scale, "peak_err": self.peak_err * scale, "fwhm": self.fwhm * scale,
                "fwhm_err": self.fwhm_err * scale, "sigma": self.sigma * scale, "gamma": self.gamma * scale,
                "reduced_chi2": self.reduced_chi2, "converged": bool(self.converged)}


def fit_voigt_histogram(values, bins=None, value_range=None):
    """Histogram ``values`` and fit a Voigt profile to the counts with Poisson errors (see the module docstring).

    Returns a ``VoigtFit``; peak_err and fwhm_err are standard errors from the covariance (scaled by the
    reduced chi2 when it exceeds 1). Needs at least 5 finite values.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < _MIN_VALUES:
        raise ValueError(f"a Voigt fit needs at least {_MIN_VALUES} finite values, got {v.size}; a group with so "
                         "few cells has no meaningful histogram.")
    hist = histogram(v, bins, value_range)
    x = hist.centres
    width = float(hist.edges[1] - hist.edges[0])
    span = float(hist.edges[-1] - hist.edges[0])
    median = float(np.median(v))
    spread = 1.4826 * float(np.median(np.abs(v - median))) or float(np.std(v)) or width
    p0 = np.array([v.size * width, median, max(0.8 * spread, 0.5 * width), 0.2 * spread])
    # a profile narrower than a bin cannot be resolved, and one wider than the histogram is not a peak
    lower = np.array([0.0, float(hist.edges[0]), 0.4 * width, 0.0])
    upper = np.array([10.0 * v.size * width, float(hist.edges[-1]), span, span])
    p0 = np.clip(p0, lower, upper)
    fit = fit_many(voigt_counts_model, x, hist.counts, p0, lower, upper, sigma=hist.errors, absolute_sigma=True,
                   max_iter=200)
    # second pass with the model's expected counts as Poisson variances (Pearson weights): Neyman's
    # sqrt(observed) errors pull the fit towards low counts; this is close to the Poisson likelihood fit
    expected = fit.params[0, 0] * voigt_pdf(x, *fit.params[0, 1:])
    sigma_model = np.sqrt(np.maximum(expected, 0.25))
    fit = fit_many(voigt_counts_model, x, hist.counts, fit.params[0], lower, upper, sigma=sigma_model,
                   absolute_sigma=True, max_iter=200)
    params, cov = fit.params[0], fit.cov[0] * max(1.0, float(fit.reduced_chi2[0]))
    area, mu, sigma, gamma = (float(p) for p in params)
    fwhm = voigt_fwhm(sigma, gamma)
    grad = np.array([(voigt_fwhm(sigma * (1 + 1e-6), gamma) - fwhm) / (sigma * 1e-6),
                     (voigt_fwhm(sigma, gamma + 1e-6 * sigma) - fwhm) / (sigma * 1e-6)])
    sub = cov[2:4, 2:4]
    fwhm_var = float(grad @ sub @ grad)
    return VoigtFit(peak=mu, peak_err=float(np.sqrt(cov[1, 1])), fwhm=fwhm,
                    fwhm_err=float(np.sqrt(fwhm_var)) if fwhm_var >= 0 else float("nan"), sigma=sigma, gamma=gamma,
                    area=area, reduced_chi2=float(fit.reduced_chi2[0]), converged=bool(fit.converged[0]),
                    histogram=hist)
