"""Dense linear algebra for the small (p x p, p up to a few tens) systems of the Levenberg-Marquardt core.

Written out in numba so that a fit never leaves nopython mode nor touches LAPACK (whose calls would be
far slower than the solve itself at these sizes, and are not safe to run from many threads at once).
"""

import numpy as np

from .leaf import njit_leaf


@njit_leaf(error_model="numpy")
def cholesky_in_place(a, n):
    """Cholesky factor L (lower triangle, a = L L^T) of the leading n x n block of ``a``, in place.

    Returns False when the block is not numerically positive definite (a pivot <= 1e-300 or not finite).
    """
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= a[j, k] * a[j, k]
        if not (s > 1e-300) or not np.isfinite(s):
            return False
        d = np.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= a[i, k] * a[j, k]
            a[i, j] = t / d
    return True


@njit_leaf(error_model="numpy")
def cholesky_forward(factor, b, n):
    """b <- L^-1 b in place, L the lower triangle left by ``cholesky_in_place``: half a solve, all that
    b^T a^-1 b = |L^-1 b|^2 needs."""
    for i in range(n):
        t = b[i]
        for k in range(i):
            t -= factor[i, k] * b[k]
        b[i] = t / factor[i, i]


@njit_leaf(error_model="numpy")
def cholesky_solve(factor, b, n):
    """Solve (L L^T) x = b in place of b, L the lower triangle left by ``cholesky_in_place``."""
    cholesky_forward(factor, b, n)
    for i in range(n - 1, -1, -1):
        t = b[i]
        for k in range(i + 1, n):
            t -= factor[k, i] * b[k]
        b[i] = t / factor[i, i]


@njit_leaf(error_model="numpy")
def inverse_spd(a, out, work, column):
    """out = a^-1 for a symmetric positive definite a, by a unit-diagonal-scaled Cholesky factorisation.

    The scaling (a_s = S a S, S = diag(a)^-1/2) makes the factorisation independent of the parameters'
    units (hertz next to fractions of one). ``column`` (p,) is scratch. Returns False, leaving ``out``
    NaN, when a is singular.
    """
    p = a.shape[0]
    for i in range(p):
        if not (a[i, i] > 0.0):
            out[:, :] = np.nan
            return False
        column[i] = 1.0 / np.sqrt(a[i, i])
    for i in range(p):
        for j in range(p):
            work[i, j] = a[i, j] * column[i] * column[j]
    if not cholesky_in_place(work, p):
        out[:, :] = np.nan
        return False
    # invert L (lower triangular) into the lower triangle of out: out = L^-1, then a_s^-1 = L^-T L^-1. The
    # reciprocal diagonal first: independent divisions pipeline, where dividing inside the loop chained them
    for j in range(p):
        out[j, j] = 1.0 / work[j, j]
    for j in range(p):
        for i in range(j + 1, p):
            t = 0.0
            for k in range(j, i):
                t -= work[i, k] * out[k, j]
            out[i, j] = t * out[i, i]
    for i in range(p):
        for j in range(i + 1):
            t = 0.0
            for k in range(i, p):
                t += out[k, i] * out[k, j]
            work[i, j] = t
    for i in range(p):
        for j in range(i + 1):
            value = work[i, j] * column[i] * column[j]
            out[i, j] = value
            out[j, i] = value
    return True
