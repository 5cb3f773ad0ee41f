"""One Levenberg-Marquardt core for every least-squares fit in nvscope (Gpufit style: models plug in).

Plugging in a model
-------------------
A model is a numba function compiled for exactly ``MODEL_SIGNATURE``; decorate it with ``@lm_model``::

    @lm_model
    def my_model(params, x, consts, values, jac):
        # params (p,)    float64, C-contiguous: the parameters at which to evaluate
        # x      (d, n)  float64, C-contiguous: the d coordinates of each of the n data points, one row
        #                 per coordinate (ODMR: d = 1, x[0, i] = frequency of point i; a 2-D map: d = 2,
        #                 x[0, i] = x_m and x[1, i] = y_m of pixel i); rows are contiguous, so loops over i
        #                 vectorise
        # consts (c,)    float64: fixed numbers the model needs (hyperfine offsets, NV axis, pixel size ...)
        # values (n,)    OUT: model value at each point
        # jac    (p, n)  OUT: jac[j, i] = d value_i / d params_j, analytic (one row per parameter,
        #                 as in Gpufit: the core's sums over points then run along contiguous memory)
        ...

The model must write every element of ``values`` and ``jac`` and must not keep references to them. It
is called through a function pointer (numba first-class function), so the core is compiled once, cached
on disk, and serves every model; nothing is specialised per model.

What the core minimises: chi2(p) = sum_i w_i^2 (y_i - f_i(p))^2, w_i = 1 / sigma_i (``weights``; an
empty array means w_i = 1). Box bounds lower <= p <= upper are kept by projection: the start is clamped
into the box, every trial step is clamped, and a parameter sitting on a bound whose gradient pushes
outwards is frozen for that iteration (projected LM), so fits that end on a bound converge cleanly. Use
-inf / +inf for no bound.

Step: (A_s + lambda I) delta_s = g_s with A = J^T W^2 J, g = J^T W^2 (y - f), the subscript s marking the
unit-diagonal scaling S = diag(A)^-1/2 (Marquardt's scaling, so hertz and fractions mix safely). lambda
starts at 1e-3, is divided by 10 after an accepted step and multiplied by 10 after a rejected one.

Convergence, on the relative change of chi2 (two tests, either suffices):
- stationarity: at the start of an iteration, the Gauss-Newton step's predicted decrease of chi2,
  g^T A^-1 g over the free parameters, is below ``tol_chi2 * chi2``: no step can change chi2 by more;
- slow progress: two accepted steps in a row each decreased chi2 by less than ``tol_chi2 * chi2`` (the
  Gpufit criterion, made twice so that one heavily damped step far from the minimum cannot stop it).
  This ends the crawl along curved, flat valleys (overlapping lines), where the parameters still
  drift but chi2 no longer changes: with n - p degrees of freedom chi2 is about (n - p) sigma^2, so
  1e-6 with 100 points is a change of 1e-4 sigma^2, far below what the data can tell apart.
Noise-free data (chi2 below 1e-24 of sum (w y)^2) also count as converged. The fit stops unconverged
after ``max_iter`` iterations, or when no step decreases chi2 even at lambda = 1e16.

Returned: ``lm_fit`` overwrites ``params`` with the best fit and ``cov_out`` with the covariance
cov = (J^T W^2 J)^-1, times chi2 / (n - p) when ``scale_covariance`` (unknown sigma: the noise is
estimated from the residuals; use this for unweighted fits) - NaN when singular. It returns the tuple
(chi2, reduced_chi2 = chi2 / (n - p), n_iter, converged, at_bound). Standard errors are sqrt(diag(cov)).

Threads: everything is ``nogil``; ``lm_fit_batch`` runs many fits in parallel (numba prange).
"""

import numpy as np
from numba import njit, prange, types

from .first_call import njit_on_first_call
from .leaf import njit_leaf
from .lm_steps import (
    damped_step,
    gauss_newton_decrease,
    model_chi2,
    normal_equations,
    scale_gradient,
    set_free,
    weighted_square_sum,
)
from .small_linalg import inverse_spd

_VEC = types.float64[::1]
_MAT = types.float64[:, ::1]
_CUBE = types.float64[:, :, ::1]

MODEL_SIGNATURE = types.void(_VEC, _MAT, _VEC, _VEC, _MAT)
"""model(params, x, consts, values_out, jac_out) -> None; see the module docstring."""
MODEL_TYPE = types.FunctionType(MODEL_SIGNATURE)

STATUS_CONVERGED = np.uint8(1)
STATUS_AT_BOUND = np.uint8(2)


@njit(nogil=True, cache=True)
def status_bits(converged, at_bound):
    """The uint8 status of one fit: STATUS_CONVERGED | STATUS_AT_BOUND as they apply."""
    flag = np.uint8(0)
    if converged:
        flag |= STATUS_CONVERGED
    if at_bound:
        flag |= STATUS_AT_BOUND
    return flag

_LAMBDA_START = 1e-3
_LAMBDA_MAX = 1e16
_LAMBDA_MIN = 1e-12
_NOISE_FREE_RATIO = 1e-24


def lm_model(func=None, *, fastmath=True):
    """Decorator making ``func`` a model for the core: ``njit(nogil=True, cache=True, fastmath=True,
    error_model="numpy")``, compiled for ``MODEL_SIGNATURE`` when first passed to the core (not at import).
    The NumPy error model (x / 0 gives inf or nan instead of raising) lets loops with divisions vectorise,
    several times faster; the core rejects non-finite chi2 anyway."""

    def wrap(f):
        return njit(nogil=True, cache=True, fastmath=fastmath, error_model="numpy")(f)

    return wrap(func) if func is not None else wrap


_CORE_SIGNATURE = types.Tuple((types.float64, types.float64, types.int64, types.boolean, types.boolean))(
    MODEL_TYPE, _MAT, _VEC, _VEC, _VEC, _VEC, _VEC, _VEC, _MAT, types.int64, types.float64, types.boolean
)


@njit(nogil=True, cache=True)
def lm_workspace(n, p):
    """Scratch arrays for ``lm_fit_in``: fits of n points and p parameters can reuse one workspace, so a
    loop over many pixels allocates once per thread instead of eleven times per fit."""
    return (np.empty(n), np.empty((p, n)), np.empty(n), np.empty((p, n)), np.empty(p), np.empty((p, p)),
            np.empty((p, p)), np.empty(p), np.empty(p), np.empty(p), np.empty(p, dtype=np.bool_))


@njit_on_first_call(_CORE_SIGNATURE, nogil=True, cache=True, error_model="numpy")
def lm_fit(model, x, y, weights, consts, params, lower, upper, cov_out, max_iter, tol_chi2, scale_covariance):
    """Fit one data set; see the module docstring for the contract.

    model: an ``@lm_model`` function. x (d, n), y (n,), weights (n,) or (0,), consts (c,); params (p,) is
    the start on entry and the best fit on return; lower, upper (p,) box bounds; cov_out (p, p) receives
    the covariance. Returns (chi2, reduced_chi2, n_iter, converged, at_bound).
    """
    values, jac, values_try, jac_try, trial, hess, work, grad, step, scale, free = lm_workspace(y.shape[0],
                                                                                                params.shape[0])
    return lm_fit_in(model, x, y, weights, consts, params, lower, upper, cov_out, max_iter, tol_chi2,
                     scale_covariance, values, jac, values_try, jac_try, trial, hess, work, grad, step, scale, free)


@njit_leaf(error_model="numpy")
def lm_fit_in(model, x, y, weights, consts, params, lower, upper, cov_out, max_iter, tol_chi2, scale_covariance,
              values, jac, values_try, jac_try, trial, hess, work, grad, step, scale, free):
    """``lm_fit`` with its scratch arrays given (those of ``lm_workspace(n, p)``, in order), for loops over
    many fits. They come as separate arguments and the current/trial pairs trade roles through a flag, not
    by swapping variables: unpacking a tuple or swapping arrays costs atomic reference-count updates, which
    were a sixth of the per-pixel time."""
    n = y.shape[0]
    p = params.shape[0]
    # numba does not check bounds: a mismatch here would let the model write past its arrays
    if x.shape[1] != n or (weights.shape[0] != 0 and weights.shape[0] != n):
        raise ValueError("lm_fit: x must be (d, n) and weights (n,) or (0,) for y of n points")
    if lower.shape[0] != p or upper.shape[0] != p or cov_out.shape[0] != p or cov_out.shape[1] != p:
        raise ValueError("lm_fit: lower, upper must be (p,) and cov_out (p, p) for p parameters")
    if values.shape[0] != n or jac.shape[0] != p:
        raise ValueError("lm_fit: the workspace must come from lm_workspace(n, p) for this fit's n and p")
    for a in range(p):
        params[a] = min(max(params[a], lower[a]), upper[a])
    chi2 = model_chi2(model, x, y, weights, consts, params, values, jac)
    noise_free = _NOISE_FREE_RATIO * weighted_square_sum(y, weights)

    first_current = True  # values, jac hold the current point (else values_try, jac_try do)
    converged = False
    current = False  # hess and grad belong to the current params (saves one pass at the end)
    n_iter = 0
    small_steps = 0
    lam = _LAMBDA_START
    if np.isfinite(chi2):
        while True:
            if first_current:
                normal_equations(y, weights, values, jac, hess, grad, values_try)
            else:
                normal_equations(y, weights, values_try, jac_try, hess, grad, values)
            current = True
            set_free(params, lower, upper, hess, grad, free)
            if chi2 <= noise_free:
                converged = True
                break
            scale_gradient(hess, grad, free, scale)  # grad holds g_s from here on
            # Stationarity: the undamped (Gauss-Newton) step's predicted decrease of chi2 is negligible.
            predicted = gauss_newton_decrease(hess, grad, free, scale, work, step)
            if 0.0 <= predicted <= tol_chi2 * chi2:
                converged = True
                break
            if n_iter >= max_iter:
                break
            n_iter += 1
            accepted = False
            while lam <= _LAMBDA_MAX:
                if damped_step(hess, grad, free, lam, scale, work, step):
                    for a in range(p):
                        trial[a] = min(max(params[a] + step[a], lower[a]), upper[a])
                    if first_current:
                        chi2_try = model_chi2(model, x, y, weights, consts, trial, values_try, jac_try)
                    else:
                        chi2_try = model_chi2(model, x, y, weights, consts, trial, values, jac)
                    if chi2_try < chi2:
                        if chi2 - chi2_try <= tol_chi2 * chi2:
                            small_steps += 1
                        else:
                            small_steps = 0
                        for a in range(p):
                            params[a] = trial[a]
                        first_current = not first_current
                        chi2 = chi2_try
                        current = False
                        lam = max(lam * 0.1, _LAMBDA_MIN)
                        accepted = True
                        break
                lam *= 10.0
            if not accepted:
                break
            if small_steps >= 2:
                converged = True
                break

    at_bound = False
    for a in range(p):
        if params[a] <= lower[a] or params[a] >= upper[a]:
            at_bound = True
    dof = n - p
    reduced = chi2 / dof if dof > 0 else np.nan
    if np.isfinite(chi2):
        if not current and first_current:
            normal_equations(y, weights, values, jac, hess, grad, values_try)
        elif not current:
            normal_equations(y, weights, values_try, jac_try, hess, grad, values)
        inverse_spd(hess, cov_out, work, step)
        if scale_covariance:
            for a in range(p):
                for b in range(p):
                    cov_out[a, b] *= reduced
    else:
        cov_out[:, :] = np.nan
    return chi2, reduced, n_iter, converged, at_bound


_BATCH_CHUNK = 32
"""Fits per parallel task of ``lm_fit_batch`` (they share one workspace)."""

_BATCH_SIGNATURE = types.void(
    MODEL_TYPE, _MAT, _MAT, _MAT, _MAT, _MAT, _MAT, _MAT, _CUBE, _VEC, _VEC,
    types.int64[::1], types.uint8[::1], types.int64, types.float64, types.boolean,
)


@njit_on_first_call(_BATCH_SIGNATURE, nogil=True, parallel=True, cache=True, error_model="numpy")
def lm_fit_batch(model, x, data, weights, consts, params, lower, upper, cov, chi2, reduced_chi2, n_iter, status,
                 max_iter, tol_chi2, scale_covariance):
    """Run ``lm_fit`` on m data sets sharing x, in parallel over the data sets (numba prange, GIL released).

    data (m, n); weights (m, n), (1, n) shared, or (0, n) for unit weights; consts (m, c) or (1, c) shared;
    params (m, p) starts in, fits out; lower, upper (m, p) or (1, p) shared; outputs cov (m, p, p), chi2 (m,),
    reduced_chi2 (m,), n_iter (m,) int64, status (m,) uint8 = STATUS_CONVERGED | STATUS_AT_BOUND bits.
    """
    m = data.shape[0]
    n = data.shape[1]
    p = params.shape[1]
    unit_weights = np.empty(0)
    n_chunks = (m + _BATCH_CHUNK - 1) // _BATCH_CHUNK
    for chunk in prange(n_chunks):
        values, jac, values_try, jac_try, trial, hess, work, grad, step, scale, free = lm_workspace(n, p)
        for k in range(chunk * _BATCH_CHUNK, min(m, (chunk + 1) * _BATCH_CHUNK)):
            w = unit_weights
            if weights.shape[0] > 0:
                w = weights[k] if weights.shape[0] == m else weights[0]
            c = consts[k] if consts.shape[0] == m else consts[0]
            lo = lower[k] if lower.shape[0] == m else lower[0]
            hi = upper[k] if upper.shape[0] == m else upper[0]
            result = lm_fit_in(model, x, data[k], w, c, params[k], lo, hi, cov[k], max_iter, tol_chi2,
                               scale_covariance, values, jac, values_try, jac_try, trial, hess, work, grad, step,
                               scale, free)
            chi2[k] = result[0]
            reduced_chi2[k] = result[1]
            n_iter[k] = result[2]
            status[k] = status_bits(result[3], result[4])
