"""Point-dipole fields evaluated in the NV plane and projected on the NV axis.

B(r) = mu0/(4 pi) * (3 r_hat (m . r_hat) - m) / |r|^3, with mu0/(4 pi) = 1e-7 T m/A, r from the dipole to
the field point. The NV layer is z = 0, dipoles sit at z > 0. The instrument measures B_NV = B . u.
"""

import numpy as np
from numba import njit, prange

from .constants import MU0_OVER_4PI


@njit(cache=True, fastmath=True)
def _projected_field_at(px, py, pz, src_xyz, src_moment, m_dot_u, u):
    # B . u = mu0/4pi * (3 (m . r)(u . r) / r^2 - m . u) / r^3, with r unnormalised (fewer divisions)
    total = 0.0
    for k in range(src_xyz.shape[1]):  # sources stored as (3, N) rows so the loop vectorises
        rx = px - src_xyz[0, k]
        ry = py - src_xyz[1, k]
        rz = pz - src_xyz[2, k]
        inv_r2 = 1.0 / (rx * rx + ry * ry + rz * rz)
        m_dot_r = src_moment[0, k] * rx + src_moment[1, k] * ry + src_moment[2, k] * rz
        u_dot_r = u[0] * rx + u[1] * ry + u[2] * rz
        total += (3.0 * m_dot_r * u_dot_r * inv_r2 - m_dot_u[k]) * inv_r2 * np.sqrt(inv_r2)
    return MU0_OVER_4PI * total


@njit(cache=True, parallel=True, fastmath=True)
def _projected_field_grid(x_m, y_m, src_xyz, src_moment, m_dot_u, u, out):
    for i in prange(y_m.shape[0]):
        for j in range(x_m.shape[0]):
            out[i, j] += _projected_field_at(x_m[j], y_m[i], 0.0, src_xyz, src_moment, m_dot_u, u)


@njit(cache=True, fastmath=True)
def _projected_field_grid_serial(x_m, y_m, src_xyz, src_moment, m_dot_u, u, out):
    for i in range(y_m.shape[0]):
        for j in range(x_m.shape[0]):
            out[i, j] += _projected_field_at(x_m[j], y_m[i], 0.0, src_xyz, src_moment, m_dot_u, u)


def _as_sources(source_xyz_m, moment_am2):
    src = np.ascontiguousarray(np.atleast_2d(np.asarray(source_xyz_m, dtype=np.float64)))
    mom = np.ascontiguousarray(np.atleast_2d(np.asarray(moment_am2, dtype=np.float64)))
    if src.shape[1] != 3 or mom.shape != src.shape:
        raise ValueError(
            f"source positions {src.shape} and moments {mom.shape} must both be (N, 3) arrays in m and A m^2."
        )
    return src, mom


def dipole_field_t(points_m, source_xyz_m, moment_am2):
    """Full field vector B (T) of point dipoles at ``points_m`` (..., 3); for checks and the closed form tests."""
    pts = np.asarray(points_m, dtype=np.float64)
    src, mom = _as_sources(source_xyz_m, moment_am2)
    r = pts[..., None, :] - src  # (..., N, 3)
    dist = np.linalg.norm(r, axis=-1, keepdims=True)
    r_hat = r / dist
    m_dot_r = np.sum(mom * r_hat, axis=-1, keepdims=True)
    b = MU0_OVER_4PI * (3.0 * r_hat * m_dot_r - mom) / dist**3
    return b.sum(axis=-2)


def projected_field_map_t(x_m, y_m, source_xyz_m, moment_am2, nv_axis_u, out=None, parallel=None):
    """B . u (T) on the grid of pixel centres (rows = y, cols = x) in the NV plane z = 0.

    ``out``, if given, is accumulated into (so many cells can share one map). Small grids run serially:
    the thread start costs more than a 32 x 32 snippet.
    """
    x = np.ascontiguousarray(x_m, dtype=np.float64)
    y = np.ascontiguousarray(y_m, dtype=np.float64)
    src, mom = _as_sources(source_xyz_m, moment_am2)
    u = np.ascontiguousarray(nv_axis_u, dtype=np.float64)
    if out is None:
        out = np.zeros((y.shape[0], x.shape[0]), dtype=np.float64)
    if parallel is None:
        parallel = x.shape[0] * y.shape[0] * src.shape[0] > 2_000_000
    kernel = _projected_field_grid if parallel else _projected_field_grid_serial
    kernel(x, y, np.ascontiguousarray(src.T), np.ascontiguousarray(mom.T), np.ascontiguousarray(mom @ u), u, out)
    return out


def projected_field_at_points_t(points_xy_m, source_xyz_m, moment_am2, nv_axis_u):
    """B . u (T) at arbitrary points (K, 2) of the NV plane."""
    pts = np.asarray(points_xy_m, dtype=np.float64).reshape(-1, 2)
    pts3 = np.concatenate([pts, np.zeros((pts.shape[0], 1))], axis=1)
    return dipole_field_t(pts3, source_xyz_m, moment_am2) @ np.asarray(nv_axis_u, dtype=np.float64)
