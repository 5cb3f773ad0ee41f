"""The per-pixel loop: normalise, guess and fit every spectrum, in parallel with the GIL released.

One pixel: y -> y / scale (scale = the smoothed spectrum's maximum, so the baseline starts near 1 for PL
counts and spin contrast alike), starting values and bounds from ``guess.guess_pixel``, then the shared
Levenberg-Marquardt core ``analysis.fitting.lm.lm_fit_in`` (its scratch reused within a chunk of pixels)
with the ODMR model, then the baseline, its covariance and chi2 are scaled back to the data's units.
"""

import numpy as np
from numba import prange, types

from analysis.fitting.first_call import njit_on_first_call
from analysis.fitting.leaf import njit_leaf
from analysis.fitting.lm import MODEL_TYPE, lm_fit_in, lm_workspace, status_bits

from .guess import guess_pixel, template_peaks

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


@njit_leaf(fastmath={"reassoc"}, error_model="numpy")
def _all_finite(y):
    """Whether every y is finite: one branch-free sum (0 * inf and 0 * nan are nan), which vectorises."""
    total = 0.0
    for i in range(y.shape[0]):
        total += 0.0 * y[i]
    return total == 0.0


@njit_leaf(error_model="numpy")
def _template_start(guess, template, template_guess, group_window, lower, upper, out):
    """Second start: the mean spectrum's fit (``template``) moved to this pixel. Each window's lines are
    shifted by (pixel's guessed deepest centre - mean's guessed deepest centre) and their contrasts scaled
    by the ratio of the guessed depths; the first group of a window is its deepest (guess order)."""
    for a in range(out.shape[0]):
        out[a] = template[a]
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
def fit_spectra(model, x, data, weights, selected, offsets, segments, table_weight, windows, group_window,
                fwhm_start, smooth_half, fwhm_bounds, template, template_guess, max_iter, tol_chi2, scale_covariance,
                params, cov, chi2, reduced_chi2, n_iter, status):
    """Fit every selected row of ``data`` (m, n); see the module docstring.

    x (1, n) frequency relative to the fit origin (Hz); weights (m, n) = 1 / sigma or (0, n) for none;
    selected (m,) which rows to fit (the others are left NaN with status 0); offsets, segments,
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
        # Scratch once per chunk of pixels, handed down as separate arrays: allocating per pixel, unpacking
        # tuples or taking views of the shared outputs per pixel all cost heap or atomic reference-count
        # operations (contended between threads for the shared arrays), together a third of the time.
        values, jac, values_try, jac_try, trial, hess, work, grad, step, scale, free = lm_workspace(n, p)
        f = x[0]
        y = np.empty(n)
        smoothed = np.empty(n)
        depth = np.empty(n)
        score = np.empty(n)
        y_scaled = np.empty(n)
        w = np.empty(n if weights.shape[0] > 0 else 0)
        lower = np.empty(p)
        upper = np.empty(p)
        start = np.empty(p)
        second = np.empty(p)
        cov_first = np.empty((p, p))
        cov_second = np.empty((p, p))
        peaks = np.empty(fwhm_start.shape[0])
        template_peaks(offsets, fwhm_start, fwhm_bounds, peaks)
        for k in range(c * _CHUNK, min(m, (c + 1) * _CHUNK)):
            for a in range(p):
                params[k, a] = np.nan
                for b in range(p):
                    cov[k, a, b] = np.nan
            chi2[k] = np.nan
            reduced_chi2[k] = np.nan
            n_iter[k] = 0
            status[k] = 0
            if not selected[k]:
                continue
            for i in range(n):
                y[i] = data[k, i]
            if not (_all_finite(y) and (weights.shape[0] == 0 or _row_positive_finite(weights, k))):
                status[k] = STATUS_INVALID
                continue
            scale_k = guess_pixel(f, y, offsets, segments, table_weight, windows, group_window, fwhm_start,
                                  smooth_half, smoothed, depth, score, start, lower, upper, fwhm_bounds, peaks)
            if scale_k <= 0.0:
                status[k] = STATUS_INVALID
                continue
            inverse_scale = 1.0 / scale_k
            for i in range(n):
                y_scaled[i] = y[i] * inverse_scale
            for i in range(w.shape[0]):
                w[i] = weights[k, i] * scale_k
            if template.shape[0] == p:  # from the guess, before the first fit overwrites ``start``
                _template_start(start, template, template_guess, group_window, lower, upper, second)
            result = lm_fit_in(model, x, y_scaled, w, offsets, start, lower, upper, cov_first, max_iter, tol_chi2,
                               scale_covariance, values, jac, values_try, jac_try, trial, hess, work, grad, step,
                               scale, free)
            iterations = result[2]
            first_kept = True
            if template.shape[0] == p:
                other = lm_fit_in(model, x, y_scaled, w, offsets, second, lower, upper, cov_second, max_iter,
                                  tol_chi2, scale_covariance, values, jac, values_try, jac_try, trial, hess, work,
                                  grad, step, scale, free)
                iterations += other[2]
                if other[0] < result[0] or not np.isfinite(result[0]):
                    result = other
                    first_kept = False
            unit = 1.0 if weights.shape[0] > 0 else scale_k * scale_k
            chi2[k] = result[0] * unit
            reduced_chi2[k] = result[1] * unit
            n_iter[k] = iterations
            status[k] = status_bits(result[3], result[4])
            if first_kept:
                _store(k, start, cov_first, scale_k, params, cov)
            else:
                _store(k, second, cov_second, scale_k, params, cov)


@njit_leaf(error_model="numpy")
def _store(k, best, best_cov, scale, params, cov):
    """Pixel k's parameters and covariance, the baseline (parameter 0) back in the data's units."""
    p = best.shape[0]
    for a in range(p):
        params[k, a] = best[a]
        for b in range(p):
            cov[k, a, b] = best_cov[a, b]
    params[k, 0] *= scale
    for a in range(p):
        cov[k, 0, a] *= scale
        cov[k, a, 0] *= scale


@njit_leaf(error_model="numpy")
def _row_positive_finite(w, k):
    for i in range(w.shape[1]):
        if not (w[k, i] > 0.0 and np.isfinite(w[k, i])):
            return False
    return True
