"""Saturation of the labelling with concentration: two models fitted to per-concentration means.

- exponential: y(c) = B_max (1 - exp(-c / c0)); half of B_max at c_half = c0 ln 2;
- Langmuir:    y(c) = B_max c / (K + c);           half of B_max at c_half = K.

Both have two parameters and B_max is the extrapolated maximum (c -> infinity). The fit is weighted by the
standard error of each mean (chi2 = sum ((y_i - f(c_i)) / s_i)^2); parameter errors come from the covariance
with the s_i taken as absolute, multiplied by sqrt(reduced chi2) when that exceeds 1 (Birge ratio: a model
that misses the points by more than their errors gets wider errors, never narrower).

Model choice: AIC = chi2 + 2 k (k = 2 parameters; Gaussian errors of known size, constant terms dropped). The
model with the lower AIC is preferred; delta AIC = AIC(other) - AIC(preferred) >= 0. As a rule of thumb a delta
below 2 means the data cannot tell the models apart, above 10 that the other model is clearly worse
(Burnham and Anderson). With equal k this is a comparison of chi2.

Headline: the model whose B_max and half-maximum the study reports. It is the preferred model when the data
decide (delta AIC >= ``DECISIVE_DELTA_AIC``); when they do not, it stays the primary model, the paper's
exponential (``PRIMARY_MODEL``), so that a study's headline does not flip between two extrapolations on a
difference the data cannot resolve. With five concentrations and tens of cells each this is the usual case:
even means lying exactly on an exponential curve, with the default simulated study's errors, favour it by a
delta AIC of only about 1.2 (``docs/study.md``). Both fits are always reported.
"""

import math
from dataclasses import dataclass

import numpy as np

from analysis.fitting import fit_many, lm_model

EXPONENTIAL = "exponential"
LANGMUIR = "langmuir"
MODELS = (EXPONENTIAL, LANGMUIR)
_N_PARAMS = 2
PRIMARY_MODEL = EXPONENTIAL
"""The paper's model: the headline when the data cannot tell the two apart."""
DECISIVE_DELTA_AIC = 2.0
"""Below this delta AIC the two models are indistinguishable (Burnham and Anderson's rule of thumb)."""


@lm_model
def exponential_saturation_model(params, x, consts, values, jac):
    """params = [B_max, c0]; value = B_max (1 - exp(-c / c0))."""
    b_max, c0 = params[0], params[1]
    for i in range(x.shape[1]):
        c = x[0, i]
        e = np.exp(-c / c0)
        values[i] = b_max * (1.0 - e)
        jac[0, i] = 1.0 - e
        jac[1, i] = -b_max * e * c / (c0 * c0)


@lm_model
def langmuir_saturation_model(params, x, consts, values, jac):
    """params = [B_max, K]; value = B_max c / (K + c)."""
    b_max, k = params[0], params[1]
    for i in range(x.shape[1]):
        c = x[0, i]
        s = 1.0 / (k + c)
        values[i] = b_max * c * s
        jac[0, i] = c * s
        jac[1, i] = -b_max * c * s * s


_MODEL_FUNCTIONS = {EXPONENTIAL: exponential_saturation_model, LANGMUIR: langmuir_saturation_model}


def saturation_curve(model, concentration, b_max, c_half):
    """Evaluate a saturation model given its maximum and half-maximum concentration (same units as c)."""
    c = np.asarray(concentration, dtype=np.float64)
    if model == EXPONENTIAL:
        return b_max * (1.0 - np.exp(-c * math.log(2.0) / c_half))
    if model == LANGMUIR:
        return b_max * c / (c_half + c)
    raise ValueError(f"unknown saturation model {model!r}; choose one of {MODELS}.")


@dataclass
class SaturationFit:
    """One saturation model fitted to (c_i, y_i +- s_i). Units: y's for b_max, c's for c_half."""

    model: str
    b_max: float
    b_max_err: float
    c_half: float
    """Concentration of half the maximum: c0 ln 2 (exponential) or K (Langmuir)."""
    c_half_err: float
    chi2: float
    reduced_chi2: float
    aic: float
    converged: bool
    covariance: np.ndarray
    """Covariance of (b_max, c_half), errors inflated as described in the module docstring."""

    def curve(self, concentration):
        return saturation_curve(self.model, concentration, self.b_max, self.c_half)

    def to_dict(self, scale=1.0):
        return {"model": self.model, "b_max": self.b_max * scale, "b_max_err": self.b_max_err * scale,
                "c_half": self.c_half, "c_half_err": self.c_half_err, "chi2": self.chi2,
                "reduced_chi2": self.reduced_chi2, "aic": self.aic, "converged": bool(self.converged)}


def _checked(concentration, mean, sem):
    c = np.asarray(concentration, dtype=np.float64)
    y = np.asarray(mean, dtype=np.float64)
    s = np.asarray(sem, dtype=np.float64)
    if not (c.shape == y.shape == s.shape) or c.ndim != 1:
        raise ValueError(f"concentration {c.shape}, mean {y.shape} and sem {s.shape} must be 1-D of one length.")
    good = np.isfinite(c) & np.isfinite(y) & np.isfinite(s) & (s > 0)
    if good.sum() < _N_PARAMS + 1:
        raise ValueError(f"a saturation fit needs at least {_N_PARAMS + 1} concentrations with a finite mean and a "
                         f"positive standard error; got {int(good.sum())} of {c.size}. Add samples or cells.")
    if np.any(c[good] < 0):
        raise ValueError(f"concentrations must be >= 0, got {c[good].min()}.")
    return c[good], y[good], s[good]


def fit_saturation(model, concentration, mean, sem):
    """Fit one model (``"exponential"`` or ``"langmuir"``) to per-concentration means with standard errors."""
    if model not in _MODEL_FUNCTIONS:
        raise ValueError(f"unknown saturation model {model!r}; choose one of {MODELS}.")
    c, y, s = _checked(concentration, mean, sem)
    b0 = float(np.max(y)) * 1.1
    half_guess = float(np.interp(0.5 * np.max(y), np.sort(y), c[np.argsort(y)]))
    half_guess = half_guess if half_guess > 0 else float(np.median(c))
    c_scale = half_guess / math.log(2.0) if model == EXPONENTIAL else half_guess
    positive_max = float(np.max(c)) * 1e3
    fit = fit_many(_MODEL_FUNCTIONS[model], c, y, [b0, c_scale], lower=[0.0, 1e-6 * positive_max],
                   upper=[np.inf, positive_max], sigma=s, absolute_sigma=True, max_iter=500, tol_chi2=1e-10)
    b_max, scale = (float(v) for v in fit.params[0])
    chi2, dof = float(fit.chi2[0]), c.size - _N_PARAMS
    reduced = chi2 / dof if dof > 0 else float("nan")
    inflate = max(1.0, reduced) if dof > 0 else 1.0
    factor = math.log(2.0) if model == EXPONENTIAL else 1.0
    jac = np.diag([1.0, factor])
    cov = jac @ fit.cov[0] @ jac.T * inflate
    return SaturationFit(model=model, b_max=b_max, b_max_err=float(np.sqrt(cov[0, 0])), c_half=scale * factor,
                         c_half_err=float(np.sqrt(cov[1, 1])), chi2=chi2, reduced_chi2=reduced,
                         aic=chi2 + 2.0 * _N_PARAMS, converged=bool(fit.converged[0]), covariance=cov)


@dataclass
class SaturationComparison:
    """Both models on the same points, and which one the data prefer (lower AIC)."""

    fits: dict
    preferred: str
    delta_aic: float
    """AIC of the other model minus AIC of the preferred one (>= 0)."""

    @property
    def decisive(self):
        """True when the data prefer one model clearly (delta AIC >= DECISIVE_DELTA_AIC)."""
        return self.delta_aic >= DECISIVE_DELTA_AIC

    @property
    def headline(self):
        """Name of the model the study reports: the preferred one if decisive, else PRIMARY_MODEL."""
        return self.preferred if self.decisive else PRIMARY_MODEL

    @property
    def best(self):
        """The headline model's fit."""
        return self.fits[self.headline]

    def to_dict(self, scale=1.0):
        return {"preferred": self.preferred, "delta_aic": self.delta_aic, "decisive": self.decisive,
                "headline": self.headline, **{name: fit.to_dict(scale) for name, fit in self.fits.items()}}


def compare_saturation_models(concentration, mean, sem):
    """Fit both models; prefer the one with the lower AIC."""
    fits = {name: fit_saturation(name, concentration, mean, sem) for name in MODELS}
    ranked = sorted(MODELS, key=lambda name: fits[name].aic)
    return SaturationComparison(fits, ranked[0], fits[ranked[1]].aic - fits[ranked[0]].aic)
