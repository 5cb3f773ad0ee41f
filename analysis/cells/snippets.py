"""Cutting 32 x 32 snippets out of a B_NV map, and putting fitted dipoles back into map coordinates.

Convention (shared with the CNN and ``models.training_data``): the snippet of integer pixel (r0, c0) is
``map[r0-16:r0+16, c0-16:c0+16]``; its reference pixel is index 16 on both axes. A snippet that would reach
past the image is never shifted: the missing pixels are filled with the median of the snippet's pixels that
do lie in the map (for a background-subtracted map that is the local level, so the CNN sees no step), and the
``valid`` mask marks them; the refinement gives them no weight and the cell is flagged AT_EDGE.
"""

import numpy as np

from analysis import physics

SNIPPET_SIZE = 32
HALF = SNIPPET_SIZE // 2


def cut_snippets(b_nv_map_t, rows, cols):
    """(snippets (N, 32, 32), valid (N, 32, 32) bool, at_edge (N,) bool) around integer pixels (rows, cols)."""
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    rows = np.asarray(rows, dtype=int).reshape(-1)
    cols = np.asarray(cols, dtype=int).reshape(-1)
    n_rows, n_cols = m.shape
    out = np.empty((len(rows), SNIPPET_SIZE, SNIPPET_SIZE))
    valid = np.zeros((len(rows), SNIPPET_SIZE, SNIPPET_SIZE), dtype=bool)
    for k, (r0, c0) in enumerate(zip(rows, cols, strict=True)):
        r_lo, c_lo = r0 - HALF, c0 - HALF
        rs, re = max(r_lo, 0), min(r_lo + SNIPPET_SIZE, n_rows)
        cs, ce = max(c_lo, 0), min(c_lo + SNIPPET_SIZE, n_cols)
        if rs >= re or cs >= ce:
            raise ValueError(f"snippet centre (row {r0}, col {c0}) is outside the {n_rows} x {n_cols} map.")
        inside = m[rs:re, cs:ce]
        out[k] = np.median(inside)
        out[k, rs - r_lo : re - r_lo, cs - c_lo : ce - c_lo] = inside
        valid[k, rs - r_lo : re - r_lo, cs - c_lo : ce - c_lo] = True
    return out, valid, ~valid.reshape(len(rows), -1).all(axis=1)


def dipoles_map_t(shape, pixel_size_m, row_px, col_px, z_m, iron_mass_kg, nv_polar_deg, nv_azimuth_deg):
    """B_NV (T) on the map's pixel grid of point dipoles along u at (row_px, col_px) (map pixels), heights z_m
    and iron masses (kg): what the refinement's model says the cells contribute to the map."""
    u = physics.nv_axis(nv_polar_deg, nv_azimuth_deg)
    x, y = physics.pixel_coordinates_m(shape[0], shape[1], pixel_size_m)
    row_px, col_px, z_m, mass = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in
                                 (row_px, col_px, z_m, iron_mass_kg))
    out = np.zeros(shape)
    if len(mass) == 0:
        return out
    positions = np.stack([col_px * pixel_size_m, row_px * pixel_size_m, z_m], axis=1)
    moments = physics.iron_mass_to_moment_am2(mass)[:, None] * u[None, :]
    return physics.projected_field_map_t(x, y, positions, moments, u, out=out)
