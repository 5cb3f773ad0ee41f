"""Peak B_NV of a point dipole over the whole NV plane, and the paper's normalised field.

A moment m along u at height z gives B_NV(x, y) = mu0/(4 pi) * m / z^3 * g(x/z, y/z), so the extrema over
the plane are mu0/(4 pi) * m / z^3 times two numbers that depend only on the polar angle of u. They are
found once per angle by a grid search refined by successive zooms (not only at pixel centres).

Normalised field: the peak B_NV that a cell's iron mass would give for the reference cell (diameter 12 um
at z = 15 um, uniformly labelled, i.e. a point dipole at its centre), so cells at different distances and
of different sizes compare.
"""

import functools
import math

import numpy as np

from .cell import iron_mass_to_moment_am2
from .constants import MU0_OVER_4PI, NV_POLAR_ANGLE_DEG
from .validation import require_cell_above_layer, require_non_negative, require_positive

REFERENCE_DIAMETER_M = 12e-6
REFERENCE_Z_M = 15e-6


def _shape(xs, ys, polar_rad):
    """g(X, Y): B_NV of a unit moment along u (azimuth 0) at (0, 0, 1), on the plane z = 0, times z^3."""
    ux, uz = math.sin(polar_rad), math.cos(polar_rad)
    rx, ry, rz = xs, ys, -1.0
    r2 = rx * rx + ry * ry + rz * rz
    u_dot_r = ux * rx + uz * rz
    return (3.0 * u_dot_r * u_dot_r / r2 - 1.0) / r2**1.5


def _refine(polar_rad, sign):
    center, half = np.array([0.0, 0.0]), 4.0
    for _ in range(12):
        g = np.linspace(-half, half, 81)
        xs, ys = np.meshgrid(center[0] + g, center[1] + g)
        vals = sign * _shape(xs, ys, polar_rad)
        k = np.unravel_index(np.argmax(vals), vals.shape)
        center = np.array([xs[k], ys[k]])
        half *= 0.1
    return sign * float(np.max(vals)), center


@functools.lru_cache(maxsize=64)
def dipole_extrema_shape(polar_deg=NV_POLAR_ANGLE_DEG):
    """(g_max, g_min): extrema of z^3 B_NV / (mu0/4pi m) for a moment along an axis at this polar angle."""
    rad = math.radians(polar_deg)
    return _refine(rad, +1.0)[0], _refine(rad, -1.0)[0]


def peak_b_nv_t(moment_am2, z_m, polar_deg=NV_POLAR_ANGLE_DEG):
    """Maximum over the NV plane of B_NV (T) from a point moment along u at height z."""
    require_positive("z_m", z_m, "m")
    g_max, _ = dipole_extrema_shape(round(float(polar_deg), 9))
    return MU0_OVER_4PI * np.asarray(moment_am2) / np.asarray(z_m) ** 3 * g_max


def lobe_ratio(polar_deg=NV_POLAR_ANGLE_DEG):
    """|positive lobe| / |negative lobe| of a point dipole's B_NV pattern."""
    g_max, g_min = dipole_extrema_shape(round(float(polar_deg), 9))
    return g_max / abs(g_min)


def normalised_field_t(
    iron_mass_kg,
    reference_z_m=REFERENCE_Z_M,
    reference_diameter_m=REFERENCE_DIAMETER_M,
    polar_deg=NV_POLAR_ANGLE_DEG,
):
    """Peak B_NV (T) this iron mass gives on the reference cell (uniform labelling: a point dipole).

    The reference diameter enters only through the check that the reference cell sits above the layer:
    a uniformly labelled sphere's field outside it does not depend on its size.
    """
    require_non_negative("iron_mass_kg", iron_mass_kg, "kg")
    require_positive("reference_z_m", reference_z_m, "m")
    require_positive("reference_diameter_m", reference_diameter_m, "m")
    require_cell_above_layer(reference_z_m, reference_diameter_m)
    return peak_b_nv_t(iron_mass_to_moment_am2(iron_mass_kg), reference_z_m, polar_deg)


def normalised_field_per_kg(reference_z_m=REFERENCE_Z_M, polar_deg=NV_POLAR_ANGLE_DEG):
    """d(normalised field)/d(iron mass) in T/kg: the normalised field is linear in the mass."""
    return float(peak_b_nv_t(iron_mass_to_moment_am2(1.0), reference_z_m, polar_deg))
