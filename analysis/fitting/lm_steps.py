"""The Levenberg-Marquardt core's steps (see ``lm``): chi2, normal equations, Marquardt-scaled damped steps,
the stationarity check, the free parameters. Leaf kernels (``njit_leaf``): they are called several times per
fit, and every fit of nvscope goes through them."""

import numpy as np

from .leaf import njit_leaf
from .small_linalg import cholesky_forward, cholesky_in_place, cholesky_solve

GN_REGULARISATION = 1e-12
"""Added to the unit diagonal of the scaled normal equations for the stationarity check (Gauss-Newton step)."""


_REASSOCIATE = {"reassoc", "contract"}
"""fastmath flags for sums: reassociation lets them vectorise; no 'nnan'/'ninf', so non-finite chi2 is seen."""


@njit_leaf(fastmath=_REASSOCIATE, error_model="numpy")
def model_chi2(model, x, y, weights, consts, params, values, jac):
    model(params, x, consts, values, jac)
    total = 0.0
    if weights.shape[0] > 0:
        for i in range(y.shape[0]):
            r = (y[i] - values[i]) * weights[i]
            total += r * r
    else:
        for i in range(y.shape[0]):
            r = y[i] - values[i]
            total += r * r
    return total


@njit_leaf(fastmath=_REASSOCIATE, error_model="numpy")
def weighted_square_sum(y, weights):
    total = 0.0
    if weights.shape[0] > 0:
        for i in range(y.shape[0]):
            total += (y[i] * weights[i]) ** 2
    else:
        for i in range(y.shape[0]):
            total += y[i] * y[i]
    return total


@njit_leaf(fastmath=True, error_model="numpy")
def normal_equations(y, weights, values, jac, hess, grad, resid):
    """hess = J^T W^2 J, grad = J^T W^2 (y - f); jac is (p, n), resid (n,) scratch."""
    p, n = jac.shape
    weighted = weights.shape[0] > 0
    if p == 4:
        normal_equations_4(y, weights, values, jac, hess, grad)
        return
    if weighted:
        for i in range(n):
            resid[i] = (y[i] - values[i]) * weights[i] * weights[i]
    else:
        for i in range(n):
            resid[i] = y[i] - values[i]
    for a in range(p):
        ja = jac[a]
        total = 0.0
        for i in range(n):
            total += ja[i] * resid[i]
        grad[a] = total
        for b in range(a + 1):
            jb = jac[b]
            total = 0.0
            if weighted:
                for i in range(n):
                    total += ja[i] * jb[i] * weights[i] * weights[i]
            else:
                for i in range(n):
                    total += ja[i] * jb[i]
            hess[a, b] = total
            hess[b, a] = total


@njit_leaf(fastmath=True, error_model="numpy")
def normal_equations_4(y, weights, values, jac, hess, grad):
    """``normal_equations`` for 4 parameters (one line group: the common ODMR fit) in one pass over the
    points with all 14 sums in registers. The general version reloads two Jacobian rows for each of its
    p (p + 1) / 2 + p sums and is bound by those loads: this is 2 x faster."""
    n = y.shape[0]
    j0, j1, j2, j3 = jac[0], jac[1], jac[2], jac[3]
    g0 = g1 = g2 = g3 = 0.0
    h00 = h10 = h11 = h20 = h21 = h22 = h30 = h31 = h32 = h33 = 0.0
    weighted = weights.shape[0] > 0
    for i in range(n):
        a0, a1, a2, a3 = j0[i], j1[i], j2[i], j3[i]
        r = y[i] - values[i]
        if weighted:
            w2 = weights[i] * weights[i]
            r *= w2
            b0, b1, b2, b3 = a0 * w2, a1 * w2, a2 * w2, a3 * w2
        else:
            b0, b1, b2, b3 = a0, a1, a2, a3
        g0 += a0 * r
        g1 += a1 * r
        g2 += a2 * r
        g3 += a3 * r
        h00 += b0 * a0
        h10 += b1 * a0
        h11 += b1 * a1
        h20 += b2 * a0
        h21 += b2 * a1
        h22 += b2 * a2
        h30 += b3 * a0
        h31 += b3 * a1
        h32 += b3 * a2
        h33 += b3 * a3
    grad[0], grad[1], grad[2], grad[3] = g0, g1, g2, g3
    hess[0, 0], hess[1, 1], hess[2, 2], hess[3, 3] = h00, h11, h22, h33
    hess[1, 0] = hess[0, 1] = h10
    hess[2, 0] = hess[0, 2] = h20
    hess[2, 1] = hess[1, 2] = h21
    hess[3, 0] = hess[0, 3] = h30
    hess[3, 1] = hess[1, 3] = h31
    hess[3, 2] = hess[2, 3] = h32


@njit_leaf(error_model="numpy")
def scale_gradient(hess, grad, free, scale):
    """Marquardt's scaling of the free parameters, once per normal-equation build (the stationarity check and
    every damped step of the iteration share it): scale (p,) <- S = diag(A)^-1/2 (0 for fixed parameters),
    grad <- g_s = S g in place."""
    for a in range(grad.shape[0]):
        scale[a] = 1.0 / np.sqrt(hess[a, a]) if free[a] else 0.0
        grad[a] *= scale[a]


@njit_leaf(error_model="numpy")
def damped_factor(hess, grad_s, free, lam, scale, work, step):
    """Cholesky factor of A_s + lam I over the free parameters into ``work`` (fixed ones get a unit row),
    and step <- g_s (0 for fixed parameters). False if not positive definite."""
    p = grad_s.shape[0]
    for a in range(p):
        for b in range(p):
            work[a, b] = hess[a, b] * scale[a] * scale[b]
        if free[a]:
            work[a, a] = 1.0 + lam
            step[a] = grad_s[a]
        else:
            work[a, a] = 1.0
            step[a] = 0.0
    return cholesky_in_place(work, p)


@njit_leaf(error_model="numpy")
def gauss_newton_decrease(hess, grad_s, free, scale, work, step):
    """g^T A^-1 g over the free parameters = |L^-1 g_s|^2 (A_s = L L^T, regularised by 1e-12): the decrease
    of chi2 that the undamped step predicts. -1 when A_s is singular."""
    if not damped_factor(hess, grad_s, free, GN_REGULARISATION, scale, work, step):
        return -1.0
    cholesky_forward(work, step, grad_s.shape[0])
    total = 0.0
    for a in range(grad_s.shape[0]):
        total += step[a] * step[a]
    return total


@njit_leaf(error_model="numpy")
def damped_step(hess, grad_s, free, lam, scale, work, step):
    """step <- delta = S (A_s + lam I)^-1 g_s over the free parameters; fixed ones get 0. False if singular."""
    if not damped_factor(hess, grad_s, free, lam, scale, work, step):
        return False
    p = grad_s.shape[0]
    cholesky_solve(work, step, p)
    for a in range(p):
        step[a] *= scale[a]
    return True


@njit_leaf(error_model="numpy")
def set_free(params, lower, upper, hess, grad, free):
    for a in range(params.shape[0]):
        pushed_out = (params[a] <= lower[a] and grad[a] < 0.0) or (params[a] >= upper[a] and grad[a] > 0.0)
        free[a] = (not pushed_out) and hess[a, a] > 0.0 and np.isfinite(hess[a, a])
