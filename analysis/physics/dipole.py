"""Point-dipole fields evaluated in the NV plane and projected on the NV axis.

B(r) = mu0/(4 pi) * (3 r_hat (m . r_hat) - m) / |r|^3, with mu0/(4 pi) = 1e-7 T m/A, r from the dipole to
the field point. The NV layer is z = 0, dipoles sit at z > 0. The instrument measures B_NV = B . u.
"""

import numpy as np
from numba import njit, prange

from .constants import MU0_OVER_4PI


@njit(cache=True, fastmath=True, inline="always")
def _projected_term(rx, ry, rz, mx, my, mz, m_dot_u, ux, uy, uz):
    # B . u / (mu0/4pi) = (3 (m . r)(u . r) / r^2 - m . u) / r^3, with r unnormalised (fewer divisions)
    inv_r2 = 1.0 / (rx * rx + ry * ry + rz * rz)
    m_dot_r = mx * rx + my * ry + mz * rz
    u_dot_r = ux * rx + uy * ry + uz * rz
    return (3.0 * m_dot_r * u_dot_r * inv_r2 - m_dot_u) * inv_r2 * np.sqrt(inv_r2)


@njit(cache=True, fastmath=True, nogil=True, inline="always")
def projected_dipole_and_gradient(rx, ry, rz, moment_am2, ux, uy, uz):
    """B_NV (T) of a point moment along u at the point r from the dipole, and its gradient in r (T/m).

    With s = u . r and q = |r|^2: B_NV = mu0/(4 pi) m (3 s^2 q^-5/2 - q^-3/2) (the projected dipole field of
    a moment m u), dB_NV/dr_k = mu0/(4 pi) m (6 s u_k q^-5/2 - 15 s^2 r_k q^-7/2 + 3 r_k q^-5/2). Moving the
    dipole by +delta changes r by -delta: the derivatives in the source position are the negatives. Returns
    (b_t, db_drx, db_dry, db_drz); njit, for analytic Jacobians of fits (the cell refinement).
    """
    q = rx * rx + ry * ry + rz * rz
    inv_q = 1.0 / q
    s = ux * rx + uy * ry + uz * rz
    k = MU0_OVER_4PI * moment_am2 * inv_q * inv_q * np.sqrt(inv_q)  # mu0/4pi m q^-5/2
    b = k * (3.0 * s * s - q)
    radial = k * (3.0 - 15.0 * s * s * inv_q)
    return b, 6.0 * k * s * ux + radial * rx, 6.0 * k * s * uy + radial * ry, 6.0 * k * s * uz + radial * rz


@njit(cache=True, fastmath=True)
def _projected_field_at(px, py, pz, src_xyz, src_moment, m_dot_u, u):
    total = 0.0
    for k in range(src_xyz.shape[1]):  # sources stored as (3, N) rows so the loop vectorises
        total += _projected_term(
            px - src_xyz[0, k], py - src_xyz[1, k], pz - src_xyz[2, k],
            src_moment[0, k], src_moment[1, k], src_moment[2, k], m_dot_u[k], u[0], u[1], u[2],
        )
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


@njit(cache=True, parallel=True, fastmath=True)
def _projected_field_snippets(x_m, y_m, src_xyz, src_moment, m_dot_u, src_offsets, u, out):
    # one snippet per thread; sources outside, pixels inside: the innermost loop runs along a row and vectorises
    for b in prange(out.shape[0]):
        acc = np.zeros((y_m.shape[0], x_m.shape[0]))
        for k in range(src_offsets[b], src_offsets[b + 1]):
            sx, sy, sz = src_xyz[k, 0], src_xyz[k, 1], src_xyz[k, 2]
            mx, my, mz = src_moment[k, 0], src_moment[k, 1], src_moment[k, 2]
            for i in range(y_m.shape[0]):
                ry = y_m[i] - sy
                for j in range(x_m.shape[0]):
                    acc[i, j] += _projected_term(x_m[j] - sx, ry, -sz, mx, my, mz, m_dot_u[k], u[0], u[1], u[2])
        for i in range(y_m.shape[0]):
            for j in range(x_m.shape[0]):
                out[b, i, j] += MU0_OVER_4PI * acc[i, j]


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


def projected_field_snippets_t(x_m, y_m, source_xyz_m, moment_am2, source_offsets, nv_axis_u, out=None):
    """B . u (T) on one shared pixel grid for many independent sets of dipoles (batched snippets).

    Set b is the rows ``source_offsets[b]:source_offsets[b + 1]`` of the (N, 3) source positions (m) and
    moments (A m^2), given in the grid's own coordinates; ``out[b]`` (rows = y, cols = x) is what
    ``projected_field_map_t`` gives for that set alone. Snippets run in parallel (numba prange); the CNN's
    training-data generator renders thousands of snippets per second with it.
    """
    x = np.ascontiguousarray(x_m, dtype=np.float64)
    y = np.ascontiguousarray(y_m, dtype=np.float64)
    if len(source_xyz_m) == 0:
        src = mom = np.zeros((0, 3))
    else:
        src, mom = _as_sources(source_xyz_m, moment_am2)
    offsets = np.ascontiguousarray(source_offsets, dtype=np.int64)
    if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != src.shape[0] or np.any(np.diff(offsets) < 0):
        raise ValueError(
            f"source_offsets must rise from 0 to the number of sources ({src.shape[0]}); got {offsets[:3]}..."
        )
    u = np.ascontiguousarray(nv_axis_u, dtype=np.float64)
    if out is None:
        out = np.zeros((offsets.shape[0] - 1, y.shape[0], x.shape[0]), dtype=np.float64)
    _projected_field_snippets(x, y, src, mom, np.ascontiguousarray(mom @ u), offsets, u, out)
    return out
