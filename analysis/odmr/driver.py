"""The per-pixel loop: normalise, guess and fit every spectrum, in parallel with the GIL released.

One pixel: y -> y / scale (scale = the smoothed spectrum's maximum, so the baseline starts near 1 for PL
counts and spin contrast alike), starting values and bounds from ``guess.guess_pixel``, then the shared
Levenberg-Marquardt core ``analysis.fitting.lm.lm_fit_in`` (its scratch reused within a chunk of pixels)
with the ODMR model, then the baseline, its covariance and chi2 are scaled back to the data's units.
"""

import numpy as np
from numba import njit, prange, types

from analysis.fitting.lm import MODEL_TYPE, lm_fit_in, lm_workspace, njit_on_first_call, status_bits

from .guess import guess_pixel

STATUS_INVALID = np.uint8(16)
"""Driver status bit: the spectrum has non-finite values or no positive maximum; not fitted."""

_I64 = types.int64
_F64 = types.float64
_DRIVER_SIGNATURE = types.void(
    MODEL_TYPE, _F64[:, ::1], _F64[:, ::1], _F64[:, ::1], types.boolean[::1], _F64[::1], _I64[:, ::1], _F64[:, ::1],
    _I64[:, ::1], _I64[::1], _F64[::1], _I64, _F64[::1], _F64[::1], _F64[::1], _I64, _F64, types.boolean,
    _F64[:, ::1], _F64[:, :, ::1], _F64[::1], _F64[::1], _I64[::1], types.uint8[::1],
)


_CHUNK = 64
"""Pixels per parallel task: enough to amortise the scratch arrays, small enough to balance the threads."""


@njit(nogil=True, cache=True, fastmath={"reassoc"}, error_model="numpy")
def _all_finite(y):
    """Whether every y is finite: one branch-free sum (0 * inf and 0 * nan are nan), which vectorises."""
    total = 0.0
    for i in range(y.shape[0]):
        total += 0.0 * y[i]
    return total == 0.0


@njit(nogil=True, cache=True, error_model="numpy")
def _all_positive_finite(w):
    for i in range(w.shape[0]):
        if not (w[i] > 0.0 and np.isfinite(w[i])):
            return False
    return True


@njit(nogil=True, cache=True, error_model="numpy")
def _template_start(guess, template, template_guess, group_window, lower, upper, out):
    """Second start: the mean spectrum's fit (``template``) moved to this pixel. Each window's lines are
    shifted by (pixel's guessed deepest centre - mean's guessed deepest centre) and their contrasts scaled
    by the ratio of the guessed depths; the first group of a window is its deepest (guess order)."""
    out[:] = template
    out[0] = guess[0]
    n_groups = group_window.shape[0]
    for g in range(n_groups):
        first = g
        while first > 0 and group_window[first - 1] == group_window[g]:
            first -= 1
        jf = 1 + 3 * first
        j = 1 + 3 * g
        out[j] = template[j] * guess[jf] / template_guess[jf]
        out[j + 2] = template[j + 2] + guess[jf + 2] - template_guess[jf + 2]
    for a in range(out.shape[0]):
        out[a] = min(max(out[a], lower[a]), upper[a])


@njit_on_first_call(_DRIVER_SIGNATURE, nogil=True, parallel=True, cache=True, error_model="numpy")
def fit_spectra(model, x, data, weights, selected, offsets, table_index, table_weight, windows, group_window,
                fwhm_start, smooth_half, fwhm_bounds, template, template_guess, max_iter, tol_chi2, scale_covariance,
                params, cov, chi2, reduced_chi2, n_iter, status):
    """Fit every selected row of ``data`` (m, n); see the module docstring.

    x (1, n) frequency relative to the fit origin (Hz); weights (m, n) = 1 / sigma or (0, n) for none;
    selected (m,) which rows to fit (the others are left NaN with status 0); offsets, table_index,
    table_weight, windows, group_window, fwhm_start, smooth_half, fwhm_bounds: see ``guess.guess_pixel``.
    template, template_guess (p,): the mean spectrum's fit and guess, for a second start (see
    ``_template_start``) whose fit is kept when its chi2 is lower; empty arrays: one start only.
    Outputs params (m, p), cov (m, p, p), chi2, reduced_chi2, n_iter (both starts' iterations summed),
    status (converged / at-bound / invalid bits).
    """
    m, n = data.shape
    p = params.shape[1]
    n_chunks = (m + _CHUNK - 1) // _CHUNK
    for c in prange(n_chunks):
        # scratch once per chunk of pixels, not per pixel: allocations were a sixth of the per-pixel time
        scratch = (np.empty(n), np.empty(n), np.empty(n), np.empty(p), np.empty(p), np.empty(p), np.empty(n),
                   np.empty(n if weights.shape[0] > 0 else 0), np.empty(p), np.empty((p, p)))
        workspace = lm_workspace(n, p)
        for k in range(c * _CHUNK, min(m, (c + 1) * _CHUNK)):
            _fit_pixel(k, model, x, data, weights, selected, offsets, table_index, table_weight, windows,
                       group_window, fwhm_start, smooth_half, fwhm_bounds, template, template_guess, max_iter,
                       tol_chi2, scale_covariance, params, cov, chi2, reduced_chi2, n_iter, status, scratch,
                       workspace)


@njit(nogil=True, cache=True, error_model="numpy")
def _fit_pixel(k, model, x, data, weights, selected, offsets, table_index, table_weight, windows, group_window,
               fwhm_start, smooth_half, fwhm_bounds, template, template_guess, max_iter, tol_chi2, scale_covariance,
               params, cov, chi2, reduced_chi2, n_iter, status, scratch, workspace):
    """Row k of ``fit_spectra``; ``scratch`` and ``workspace`` are reused from pixel to pixel."""
    n = data.shape[1]
    p = params.shape[1]
    f = x[0]
    weighted = weights.shape[0] > 0
    two_starts = template.shape[0] == p
    smoothed, depth, score, lower, upper, start, y_scaled, w, second, cov_second = scratch
    params[k, :] = np.nan
    cov[k, :, :] = np.nan
    chi2[k] = np.nan
    reduced_chi2[k] = np.nan
    n_iter[k] = 0
    status[k] = 0
    if not selected[k]:
        return
    y = data[k]
    if not (_all_finite(y) and (not weighted or _all_positive_finite(weights[k]))):
        status[k] = STATUS_INVALID
        return
    scale = guess_pixel(f, y, offsets, table_index, table_weight, windows, group_window, fwhm_start, smooth_half,
                        smoothed, depth, score, start, lower, upper, fwhm_bounds)
    if scale <= 0.0:
        status[k] = STATUS_INVALID
        return
    inverse_scale = 1.0 / scale
    for i in range(n):
        y_scaled[i] = y[i] * inverse_scale
    if weighted:
        for i in range(n):
            w[i] = weights[k, i] * scale
    if two_starts:
        _template_start(start, template, template_guess, group_window, lower, upper, second)
    result = lm_fit_in(model, x, y_scaled, w, offsets, start, lower, upper, cov[k], max_iter, tol_chi2,
                       scale_covariance, workspace)
    iterations = result[2]
    if two_starts:
        other = lm_fit_in(model, x, y_scaled, w, offsets, second, lower, upper, cov_second, max_iter, tol_chi2,
                          scale_covariance, workspace)
        iterations += other[2]
        if other[0] < result[0] or not np.isfinite(result[0]):
            result = other
            start[:] = second
            cov[k, :, :] = cov_second
    params[k, :] = start
    params[k, 0] *= scale
    for a in range(p):
        cov[k, 0, a] *= scale
        cov[k, a, 0] *= scale
    unit = 1.0 if weighted else scale * scale
    chi2[k] = result[0] * unit
    reduced_chi2[k] = result[1] * unit
    n_iter[k] = iterations
    status[k] = status_bits(result[3], result[4])
