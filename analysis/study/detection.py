"""How far from the NV layer a labelled cell can be and still be detected.

A cell of iron mass m (moment M = m x 0.0549 A m^2/g, ``physics.iron_mass_to_moment_am2``) at height z
gives a peak B_NV of (``physics.peak_b_nv_t``; a point dipole, the cell's extent ignored)

    B_peak(m, z) = mu0/(4 pi) M g_max / z^3,

g_max ~ 1.6 the maximum of the dimensionless dipole pattern for the NV polar angle. A pixel measured for a
time t with a shot-noise sensitivity eta (T/sqrt(Hz)) has a field noise sigma_B = eta / sqrt(t). The cell is
detected with signal-to-noise k when B_peak >= k sigma_B, i.e. up to

    z_max = (mu0/(4 pi) M g_max sqrt(t) / (k eta))^(1/3).

The time t is the *effective* integration time per pixel of the field map, not the wall-clock time of the
sweep: a CW-ODMR sweep spends most of its frames off the line's steep flanks, so a full sweep's effective t
is a fraction of its duration. ``sigma_b_t`` turns a measured map noise into the same number.
"""

import numpy as np

from analysis import physics


def field_noise_t(sensitivity_t_per_sqrt_hz, integration_time_s):
    """sigma_B = eta / sqrt(t) in T."""
    physics.validation.require_positive("sensitivity_t_per_sqrt_hz", sensitivity_t_per_sqrt_hz, "T/sqrt(Hz)")
    physics.validation.require_positive("integration_time_s", integration_time_s, "s")
    return sensitivity_t_per_sqrt_hz / np.sqrt(integration_time_s)


def detection_limit_z_m(iron_mass_kg, sensitivity_t_per_sqrt_hz, integration_time_s, snr=6.0,
                        polar_deg=physics.NV_POLAR_ANGLE_DEG):
    """Largest cell-centre height z (m) at which B_peak(m, z) >= snr * eta / sqrt(t) (formula above)."""
    physics.validation.require_positive("snr", snr)
    physics.validation.require_non_negative("iron_mass_kg", iron_mass_kg, "kg")
    sigma_b = field_noise_t(sensitivity_t_per_sqrt_hz, integration_time_s)
    peak_at_1_m = physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(iron_mass_kg), 1.0, polar_deg)
    return np.cbrt(peak_at_1_m / (snr * sigma_b))


def iron_mass_for_normalised_field_kg(normalised_field_t):
    """The iron mass (kg) whose normalised field (reference cell, ``physics.normalised_field_t``) is this."""
    physics.validation.require_non_negative("normalised_field_t", normalised_field_t, "T")
    return np.asarray(normalised_field_t) / physics.normalised_field_per_kg()


def required_field_noise_t(normalised_field_t, z_m, snr=6.0):
    """The field noise sigma_B (T) that puts a cell of this normalised field at height z exactly at SNR k."""
    mass = iron_mass_for_normalised_field_kg(normalised_field_t)
    return physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(mass), z_m) / snr


def required_integration_time_s(normalised_field_t, z_m, sensitivity_t_per_sqrt_hz, snr=6.0):
    """The effective integration time per pixel (s) for SNR k at height z with sensitivity eta."""
    return (sensitivity_t_per_sqrt_hz / required_field_noise_t(normalised_field_t, z_m, snr)) ** 2
