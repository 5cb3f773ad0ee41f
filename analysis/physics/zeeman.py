"""Zeeman conversions between the ODMR transitions and the field along the NV axis.

f_minus = D - gamma * B_NV, f_plus = D + gamma * B_NV (strong bias along the NV axis), so
B_NV = (f_plus - f_minus) / (2 gamma), D = (f_plus + f_minus) / 2, and with one transition
B_NV = (D - f_minus) / gamma.
"""

import numpy as np

from .constants import D_TEMPERATURE_COEFF_HZ_PER_K, GYROMAGNETIC_RATIO_HZ_PER_T, ZERO_FIELD_SPLITTING_HZ


def transitions_hz(b_nv_t, d_hz=ZERO_FIELD_SPLITTING_HZ):
    """(f_minus, f_plus) in Hz for a field B_NV (T) along the axis."""
    b = np.asarray(b_nv_t, dtype=np.float64)
    return d_hz - GYROMAGNETIC_RATIO_HZ_PER_T * b, d_hz + GYROMAGNETIC_RATIO_HZ_PER_T * b


def b_nv_from_transitions_t(f_minus_hz, f_plus_hz):
    """B_NV (T) from both transitions; independent of D and so of temperature."""
    return (np.asarray(f_plus_hz) - np.asarray(f_minus_hz)) / (2.0 * GYROMAGNETIC_RATIO_HZ_PER_T)


def d_from_transitions_hz(f_minus_hz, f_plus_hz):
    """Zero-field splitting D (Hz) from both transitions."""
    return (np.asarray(f_plus_hz) + np.asarray(f_minus_hz)) / 2.0


def b_nv_from_f_minus_t(f_minus_hz, d_hz=ZERO_FIELD_SPLITTING_HZ):
    """B_NV (T) from the lower transition alone; needs D."""
    return (d_hz - np.asarray(f_minus_hz)) / GYROMAGNETIC_RATIO_HZ_PER_T


def b_nv_from_f_plus_t(f_plus_hz, d_hz=ZERO_FIELD_SPLITTING_HZ):
    """B_NV (T) from the upper transition alone; needs D."""
    return (np.asarray(f_plus_hz) - d_hz) / GYROMAGNETIC_RATIO_HZ_PER_T


def b_nv_from_center_t(center_hz, d_hz=ZERO_FIELD_SPLITTING_HZ):
    """B_NV (T) from one transition's centre, whichever side of D it lies (|B_NV|, bias along +u)."""
    return np.abs(np.asarray(center_hz) - d_hz) / GYROMAGNETIC_RATIO_HZ_PER_T


def zero_field_splitting_hz(temperature_k, reference_temperature_k=295.0):
    """D at a temperature, with the linear shift of about -74 kHz/K around room temperature."""
    return ZERO_FIELD_SPLITTING_HZ + D_TEMPERATURE_COEFF_HZ_PER_K * (temperature_k - reference_temperature_k)
