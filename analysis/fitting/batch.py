"""Python front end of the Levenberg-Marquardt core: checks shapes, allocates outputs, returns a dataclass."""

from dataclasses import dataclass

import numpy as np

from .lm import STATUS_AT_BOUND, STATUS_CONVERGED, lm_fit_batch

DEFAULT_MAX_ITER = 100
DEFAULT_TOL_CHI2 = 1e-6


@dataclass
class LmFitResult:
    """m fits of p parameters. ``std_err`` = sqrt(diag(cov)); ``cov`` as described in ``analysis.fitting.lm``."""

    params: np.ndarray
    std_err: np.ndarray
    cov: np.ndarray
    chi2: np.ndarray
    reduced_chi2: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    at_bound: np.ndarray


def _per_fit(name, value, m, width, fill):
    if value is None:
        return np.full((1, width), fill, dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != width or arr.shape[0] not in (1, m):
        raise ValueError(
            f"{name} has shape {np.shape(value)}; give ({width},) shared by all fits or ({m}, {width}) per fit."
        )
    return np.ascontiguousarray(arr)


def fit_many(model, x, data, p0, lower=None, upper=None, sigma=None, consts=None, absolute_sigma=False,
             max_iter=DEFAULT_MAX_ITER, tol_chi2=DEFAULT_TOL_CHI2):
    """Fit ``model`` (an ``@lm_model`` function) to each row of ``data``, in parallel, with the GIL released.

    x: (n,) or (d, n) independent variable shared by all fits; data: (m, n) or (n,) for one fit;
    p0: (p,) shared or (m, p) starts; lower, upper: (p,) or (m, p) bounds (None: unbounded);
    sigma: None (unit weights; the covariance is scaled by chi2 / (n - p)), (n,) shared or (m, n) per fit;
    consts: (c,) or (m, c) fixed model numbers; absolute_sigma: take sigma as absolute (no scaling).
    """
    y = np.asarray(data, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError(f"data has shape {np.shape(data)}; give (n,) or (m, n).")
    m, n = y.shape
    xx = np.asarray(x, dtype=np.float64)
    xx = xx[None, :] if xx.ndim == 1 else xx
    if xx.ndim != 2 or xx.shape[1] != n:
        raise ValueError(f"x has shape {np.shape(x)} but data have n = {n} points; give (n,) or (d, n).")
    p0_arr = np.asarray(p0, dtype=np.float64)
    p = p0_arr.shape[-1]
    params = np.array(np.broadcast_to(_per_fit("p0", p0_arr, m, p, 0.0), (m, p)), order="C")
    lo = _per_fit("lower", lower, m, p, -np.inf)
    hi = _per_fit("upper", upper, m, p, np.inf)
    if np.any(lo > hi):
        raise ValueError("lower bound above upper bound for some parameter; check lower and upper.")
    if sigma is None:
        weights = np.empty((0, n))
        scale = True
    else:
        s = _per_fit("sigma", sigma, m, n, 1.0)
        if not np.all(s > 0):
            raise ValueError("sigma must be positive and finite everywhere; give per-point standard deviations.")
        weights = np.ascontiguousarray(1.0 / s)
        scale = not absolute_sigma
    c = np.zeros((1, 1)) if consts is None else _per_fit("consts", consts, m, np.asarray(consts).shape[-1], 0.0)
    cov = np.empty((m, p, p))
    chi2 = np.empty(m)
    red = np.empty(m)
    n_iter = np.empty(m, dtype=np.int64)
    status = np.empty(m, dtype=np.uint8)
    lm_fit_batch(model, np.ascontiguousarray(xx), np.ascontiguousarray(y), weights, c, params, lo, hi, cov, chi2, red,
                 n_iter, status, int(max_iter), float(tol_chi2), bool(scale))
    std = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return LmFitResult(params, std, cov, chi2, red, n_iter, (status & STATUS_CONVERGED) > 0,
                       (status & STATUS_AT_BOUND) > 0)
