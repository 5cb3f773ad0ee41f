"""What ``fit_odmr`` returns: resonance maps, the B_NV map, their standard errors and quality flags."""

from dataclasses import dataclass, fields

import numpy as np

# Quality flags (uint8 bit field per pixel)
NOT_CONVERGED = 1
"""The Levenberg-Marquardt core stopped before its convergence criterion was met (or the pixel was not fitted)."""
AT_BOUND = 2
"""A parameter ended on a bound (centre at the window's edge, contrast 0, width at its limit, ...)."""
LOW_CONTRAST = 4
"""A line's contrast is below ``min_contrast`` or below 3 of its own standard errors."""
MASKED = 8
"""Excluded by the mask: not fitted, maps NaN."""
INVALID_DATA = 16
"""The spectrum has non-finite values (or no positive maximum): not fitted, maps NaN."""
FLAG_NAMES = {NOT_CONVERGED: "not_converged", AT_BOUND: "at_bound", LOW_CONTRAST: "low_contrast",
              MASKED: "masked", INVALID_DATA: "invalid_data"}


def describe_flags(flags):
    """Names of the bits set in one pixel's flag value, e.g. ('at_bound', 'low_contrast')."""
    return tuple(name for bit, name in FLAG_NAMES.items() if int(flags) & bit)


@dataclass
class OdmrFitResult:
    """Per-pixel fit maps, shape (rows, cols) (after binning), a trailing axis where there are several.

    center_hz, center_err_hz: transition centre(s) - (rows, cols) for one transition, (rows, cols, 2) for
    two (f-, f+); a transition's centre is the multiplet centre (the mean of its line centres for "free").
    fwhm_hz, contrast: per line group - (rows, cols) when there is one group, else (rows, cols, groups);
    contrast is per hyperfine line, as in ``analysis.physics``. b_nv_t, b_nv_err_t: field along the NV axis
    (T). d_hz, d_err_hz: zero-field splitting per pixel (two transitions; None for one, where
    ``assumed_d_hz`` was used). params, param_err (rows, cols, p), param_cov (rows, cols, p, p) in the
    core's order ``param_names``. chi2 in the data's units squared (unweighted) or dimensionless
    (sigma given); reduced_chi2 = chi2 / (n_freq - p). flags: bits of NOT_CONVERGED, AT_BOUND,
    LOW_CONTRAST, MASKED, INVALID_DATA. converged: fitted and met the convergence criterion.
    """

    model: str
    transitions: int
    binning: int
    param_names: tuple
    freq_hz: np.ndarray
    params: np.ndarray
    param_err: np.ndarray
    param_cov: np.ndarray
    center_hz: np.ndarray
    center_err_hz: np.ndarray
    fwhm_hz: np.ndarray
    fwhm_err_hz: np.ndarray
    contrast: np.ndarray
    contrast_err: np.ndarray
    baseline: np.ndarray
    b_nv_t: np.ndarray
    b_nv_err_t: np.ndarray
    chi2: np.ndarray
    reduced_chi2: np.ndarray
    n_iter: np.ndarray
    flags: np.ndarray
    converged: np.ndarray
    d_hz: np.ndarray | None = None
    d_err_hz: np.ndarray | None = None
    assumed_d_hz: float | None = None
    branch: str | None = None

    @property
    def shape(self):
        return self.flags.shape

    @property
    def converged_fraction(self):
        """Fraction of the fitted (not masked) pixels that converged."""
        fitted = (self.flags & MASKED) == 0
        return float(self.converged[fitted].mean()) if fitted.any() else 0.0

    def to_arrays(self):
        """{name: ndarray} of every map, ready for HDF5 datasets (None fields left out)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                out[f.name] = value
        return out

    def attributes(self):
        """{name: str | int | float} of the scalar settings, ready for HDF5 attributes."""
        attrs = {"model": self.model, "transitions": self.transitions, "binning": self.binning,
                 "param_names": ",".join(self.param_names)}
        if self.assumed_d_hz is not None:
            attrs["assumed_d_hz"] = float(self.assumed_d_hz)
            attrs["branch"] = self.branch
        return attrs
