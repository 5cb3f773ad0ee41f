"""CW-ODMR line shape: PL(f) = PL0 * (1 - sum_k C_k * L(f; f_k, FWHM)), L a Lorentzian of unit peak.

Each transition is a hyperfine multiplet: 15N doublet split by 3.03 MHz, 14N triplet spaced 2.16 MHz.
The line centre used for the field is the multiplet's centre. The jitted helpers here are the ones the
virtual microscope and the fitters evaluate: there is no second copy of the line shape.
"""

import numpy as np
from numba import njit

from .constants import GYROMAGNETIC_RATIO_HZ_PER_T, HYPERFINE_14N_HZ, HYPERFINE_15N_HZ

ISOTOPES = ("15N", "14N", "single")


def hyperfine_offsets_hz(isotope="15N"):
    """Offsets (Hz) of the hyperfine lines from the transition's centre."""
    if isotope == "15N":
        return np.array([-HYPERFINE_15N_HZ / 2.0, HYPERFINE_15N_HZ / 2.0])
    if isotope == "14N":
        return np.array([-HYPERFINE_14N_HZ, 0.0, HYPERFINE_14N_HZ])
    if isotope == "single":
        return np.array([0.0])
    raise ValueError(f"isotope {isotope!r} is not known; use one of {ISOTOPES}.")


@njit(cache=True, fastmath=True)
def lorentzian(f_hz, center_hz, fwhm_hz):
    """Lorentzian of unit peak height: 1 / (1 + (2 (f - f0) / FWHM)^2)."""
    x = 2.0 * (f_hz - center_hz) / fwhm_hz
    return 1.0 / (1.0 + x * x)


@njit(cache=True, fastmath=True, error_model="numpy")
def lorentzian_and_derivatives(f_hz, center_hz, fwhm_hz):
    """(L, dL/d center, dL/d FWHM) of the unit-peak Lorentzian, for fitters that need the Jacobian.

    With x = 2 (f - f0) / FWHM and L = 1 / (1 + x^2): dL/df0 = 4 x L^2 / FWHM, dL/dFWHM = 2 x^2 L^2 / FWHM.
    NumPy error model (FWHM = 0 gives inf/nan instead of raising), so that loops over f vectorise.
    """
    x = 2.0 * (f_hz - center_hz) / fwhm_hz
    value = 1.0 / (1.0 + x * x)
    common = 2.0 * x * value * value / fwhm_hz
    return value, 2.0 * common, x * common


@njit(cache=True, fastmath=True, error_model="numpy")
def lorentzian_pair_and_derivatives(f_hz, center_1_hz, center_2_hz, fwhm_hz):
    """``lorentzian_and_derivatives`` summed over two lines of one width (the 15N doublet), with one division
    for both: L_1 = b / (a b), L_2 = a / (a b) for a = 1 + x_1^2, b = 1 + x_2^2. Divisions are the slowest
    arithmetic of the fit's model evaluation (a few x slower than multiplications even when vectorised).
    Returns (L_1 + L_2, d(L_1 + L_2)/d center, d(L_1 + L_2)/d FWHM), the centre shifting both lines."""
    scale = 2.0 / fwhm_hz
    x1 = (f_hz - center_1_hz) * scale
    x2 = (f_hz - center_2_hz) * scale
    a = 1.0 + x1 * x1
    b = 1.0 + x2 * x2
    inverse = 1.0 / (a * b)
    value_1 = b * inverse
    value_2 = a * inverse
    common_1 = x1 * value_1 * value_1 * scale
    common_2 = x2 * value_2 * value_2 * scale
    return value_1 + value_2, 2.0 * (common_1 + common_2), x1 * common_1 + x2 * common_2


@njit(cache=True, fastmath=True)
def multiplet_dip(f_hz, center_hz, fwhm_hz, contrast, offsets_hz):
    """sum_k C * L(f; center + offset_k, FWHM): the fractional PL dip of one transition (equal line contrasts)."""
    total = 0.0
    for k in range(offsets_hz.shape[0]):
        total += lorentzian(f_hz, center_hz + offsets_hz[k], fwhm_hz)
    return contrast * total


@njit(cache=True)
def _spectrum_kernel(f_hz, centers_hz, fwhm_hz, contrast, offsets_hz, out):
    for i in range(f_hz.shape[0]):
        dip = 0.0
        for c in range(centers_hz.shape[0]):
            dip += multiplet_dip(f_hz[i], centers_hz[c], fwhm_hz, contrast, offsets_hz)
        out[i] = 1.0 - dip


def odmr_spectrum(freq_hz, centers_hz, fwhm_hz, contrast, pl0=1.0, isotope="15N"):
    """PL(f) for one or more transitions (``centers_hz`` a scalar or a sequence); ``contrast`` is per line."""
    f = np.asarray(freq_hz, dtype=np.float64)
    flat = np.ascontiguousarray(f.ravel())
    out = np.empty_like(flat)
    centers = np.ascontiguousarray(np.atleast_1d(centers_hz), dtype=np.float64)
    _spectrum_kernel(flat, centers, float(fwhm_hz), float(contrast), hyperfine_offsets_hz(isotope), out)
    return pl0 * out.reshape(f.shape)


def power_saturation(rf_power_dbm, saturation_power_dbm):
    """Saturation parameter s = P / P_sat of the microwave drive (both in dBm)."""
    return 10.0 ** ((np.asarray(rf_power_dbm, dtype=np.float64) - saturation_power_dbm) / 10.0)


def power_broadened_fwhm_hz(intrinsic_fwhm_hz, saturation):
    """CW linewidth broadened by the microwave drive: FWHM = FWHM_0 * sqrt(1 + s)."""
    return intrinsic_fwhm_hz * np.sqrt(1.0 + saturation)


def power_saturated_contrast(max_contrast, saturation):
    """CW contrast per line grows with drive and saturates: C = C_max * s / (1 + s)."""
    return max_contrast * saturation / (1.0 + saturation)


def max_fractional_slope_per_hz(fwhm_hz, contrast, isotope="15N"):
    """max over f of |d(PL/PL0)/df| (1/Hz) for one transition, found numerically on a fine grid."""
    offsets = hyperfine_offsets_hz(isotope)
    span = np.abs(offsets).max() + 3.0 * fwhm_hz
    f = np.linspace(-span, span, 20001)
    pl = odmr_spectrum(f, 0.0, fwhm_hz, contrast, isotope=isotope)
    return float(np.max(np.abs(np.gradient(pl, f))))


def shot_noise_sensitivity_t_per_sqrt_hz(photon_rate_per_s, fwhm_hz, contrast, isotope="15N", excess_noise=1.0):
    """eta = F / (gamma * max|dS/df| * sqrt(R)) for a pixel detecting R photons per second.

    Derivation: one exposure t collects N = R t photons with noise F sqrt(N); dividing by the slope
    N * gamma * max|dS/df| gives delta B, and eta = delta B * sqrt(t).
    """
    slope = max_fractional_slope_per_hz(fwhm_hz, contrast, isotope)
    return excess_noise / (GYROMAGNETIC_RATIO_HZ_PER_T * slope * np.sqrt(photon_rate_per_s))


def photon_rate_for_sensitivity(sensitivity_t_per_sqrt_hz, fwhm_hz, contrast, isotope="15N", excess_noise=1.0):
    """The photon rate per pixel (1/s) at which the shot-noise sensitivity equals the given one."""
    slope = max_fractional_slope_per_hz(fwhm_hz, contrast, isotope)
    return (excess_noise / (GYROMAGNETIC_RATIO_HZ_PER_T * slope * sensitivity_t_per_sqrt_hz)) ** 2
