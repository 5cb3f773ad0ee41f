"""Candidates that are a stronger cell's far-field wing, not cells of their own.

A point dipole fitted to a cell of random clusters misses part of its field (the higher multipoles fall as
r^-4, the dipole as r^-3: some 20-30 % of the dipole's field at 2-3 cell diameters). Beside a strong cell that
miss, plus a smooth residual background, looks like a deep weak dipole 15-30 px away (z 25-35 um, 0.1-0.7 pg).
Such a candidate's own peak field is a small fraction of the stronger cell's field where it sits; a real cell
that weak that close to a strong one cannot be told from the strong one's miss anyway. So a candidate whose
own peak B_NV is below ``WING_FRACTION`` of some stronger cell's |B_NV| at its fitted centre is dropped.

Measured on simulated fields (``models.detection_accuracy``, seeds 7-26, 238 true detections, 6 false): true
cells had own-peak / strongest-neighbour-field ratios of 0.46 and up (1 % quantile 0.93); half the false ones
were below 0.3.
"""

import numpy as np

from analysis import physics

WING_FRACTION = 0.35


def in_a_wing(row_px, col_px, z_m, iron_mass_kg, pixel_size_m, nv_polar_deg, nv_azimuth_deg):
    """(N,) bool: the candidate's own peak B_NV is below WING_FRACTION of a stronger cell's |B_NV| at its centre."""
    n = len(row_px)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    u = physics.nv_axis(nv_polar_deg, nv_azimuth_deg)
    moment = physics.iron_mass_to_moment_am2(np.maximum(np.asarray(iron_mass_kg, dtype=np.float64), 0.0))
    z = np.maximum(np.asarray(z_m, dtype=np.float64), 1e-7)
    own_peak = physics.peak_b_nv_t(moment, z, nv_polar_deg)
    points = np.stack([np.asarray(col_px) * pixel_size_m, np.asarray(row_px) * pixel_size_m], axis=1)
    sources = np.concatenate([points, z[:, None]], axis=1)
    for j in range(n):
        stronger_field = np.abs(physics.projected_field_at_points_t(points, sources[j:j + 1],
                                                                    (moment[j] * u)[None], u))
        weaker = own_peak < own_peak[j]
        weaker[j] = False
        out |= weaker & (own_peak < WING_FRACTION * stronger_field)
    return out
