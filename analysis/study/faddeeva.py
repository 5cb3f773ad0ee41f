"""The Faddeeva function w(z) = exp(-z^2) erfc(-i z) in numba, for the Voigt profile.

Weideman's rational approximation (J. A. C. Weideman, "Computation of the complex error function",
SIAM J. Numer. Anal. 31 (1994) 1497-1518), valid in the upper half plane Im z >= 0 (all the Voigt profile
needs):

    w(z) = 2 p(Z) / (L - i z)^2 + 1 / (sqrt(pi) (L - i z)),   Z = (L + i z) / (L - i z),

with p a polynomial of degree N - 1 whose coefficients come from a fast Fourier transform of
exp(-t^2) (L^2 + t^2) on the points t = L tan(k pi / 2M), M = 2N, L = sqrt(N / sqrt(2)). With N = 32 the
relative error is below 1e-11 over the Voigt range (tested against scipy.special.wofz). The derivative
is w'(z) = -2 z w(z) + 2 i / sqrt(pi).

Why not ``scipy.special.wofz``: the Voigt histogram model runs inside the numba LM core (``analysis.fitting``,
``voigt.voigt_counts_model``), and numba cannot call scipy's complex-valued wofz; ``scipy.special.voigt_profile``
(real arguments, callable through its C address) gives only Re w, while the analytic Jacobian needs Im w too.
``scipy.special.wofz`` remains the reference the tests compare against (relative error < 1e-11).
"""

import math

import numpy as np
from numba import njit

WEIDEMAN_N = 32
_L = math.sqrt(WEIDEMAN_N / math.sqrt(2.0))
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _weideman_coefficients(n_terms):
    m = 2 * n_terms
    m2 = 2 * m
    k = np.arange(-m + 1, m)
    length = math.sqrt(n_terms / math.sqrt(2.0))
    t = length * np.tan(k * math.pi / m2)
    f = np.concatenate(([0.0], np.exp(-t * t) * (length * length + t * t)))
    a = np.real(np.fft.fft(np.fft.fftshift(f))) / m2
    return np.ascontiguousarray(a[1:n_terms + 1][::-1])  # highest power first (Horner order)


_COEFFS = _weideman_coefficients(WEIDEMAN_N)


@njit(cache=True, nogil=True)
def faddeeva_upper(z):
    """w(z) for Im z >= 0 (complex128)."""
    denom = _L - 1j * z
    big_z = (_L + 1j * z) / denom
    p = 0.0 + 0.0j
    for c in _COEFFS:
        p = p * big_z + c
    return 2.0 * p / (denom * denom) + _INV_SQRT_PI / denom


def faddeeva(z):
    """w(z) for an array of complex z with Im z >= 0 (a plain-Python convenience for tests and reports)."""
    z = np.asarray(z, dtype=np.complex128)
    if np.any(z.imag < 0):
        raise ValueError("faddeeva is implemented for Im z >= 0 only (the Voigt profile's half plane).")
    flat = np.array([faddeeva_upper(v) for v in z.ravel()])
    return flat.reshape(z.shape)
