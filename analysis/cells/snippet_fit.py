"""The fitting steps of the snippet refinement (``refine``): bounds, grouped calls of the LM core, and the
greedy search for neighbouring cells. Internal to ``analysis.cells``."""

from dataclasses import dataclass

import numpy as np

from analysis import physics
from analysis.fitting import fit_many

from .dipole_model import N_DIPOLE_PARAMS, PARAMS_PER_NEIGHBOUR, dipole_snippet_model

SNIPPET_SIZE = 32
REFERENCE_INDEX = 16
MAD_TO_SIGMA = 1.4826
NEIGHBOUR_MIN_CHI2_DROP = 25.0
"""A neighbour dipole is kept only if it lowers chi2 by more than this (about 5 sigma for 4 parameters)."""
NEIGHBOUR_MIN_DISTANCE_PX = 8.0
"""A neighbour closer than this to the cell is not tried, nor kept: it would share the cell's moment."""
DEFAULT_START_Z_M = 15e-6
Z_BOUNDS_M = (2e-6, 200e-6)
"""A cell's centre is at least its radius above the layer (cells are >= 6 um): a free dipole at z -> 0 only
fits a noise spike."""
MASS_BOUNDS_KG = (1e-22, 1e-12)
CELL_RANGE_PX = 16.0
NEIGHBOUR_RANGE_PX = 40.0
CORRELATION_LAGS_PX = 2
_PADDING_SIGMA_FACTOR = 1e6  # padded pixels (outside the map) carry no weight


@dataclass
class FitContext:
    """What every fit of one batch of snippets shares."""

    data: np.ndarray  # (N, 1024) T
    points: np.ndarray  # (2 + k, 1024): pixel x, y (m) and background terms
    n_bg: int
    consts: np.ndarray  # u_x, u_y, u_z, k
    start_xy: np.ndarray  # (N, 2) m, where each cell started
    pixel_size_m: float
    max_shift_px: float
    noise: np.ndarray  # (N,) T per pixel
    valid: np.ndarray  # (N, 1024) bool: pixels inside the map (padding outside gets no weight)
    max_iter: int
    polar_deg: float
    z_bounds_m: tuple = Z_BOUNDS_M
    mass_floor_kg: float = MASS_BOUNDS_KG[0]


def robust_noise_t(residual_t, valid=None):
    """sigma = 1.4826 * median |r - median r| of each snippet's residual (T) over its valid pixels; (N, ...)
    -> (N,)."""
    r = np.asarray(residual_t, dtype=np.float64).reshape(len(residual_t), -1)
    if valid is not None:
        r = np.where(np.asarray(valid).reshape(r.shape), r, np.nan)
    med = np.nanmedian(r, axis=1, keepdims=True)
    return MAD_TO_SIGMA * np.nanmedian(np.abs(r - med), axis=1)


def correlation_factor(residual, max_lag_px=CORRELATION_LAGS_PX):
    """F = sum over lags |dx|, |dy| <= max_lag of the residual's normalised autocorrelation, at least 1, per
    snippet ((N, 1024) -> (N,)). A parameter fitted to data whose errors are correlated over a few pixels (the
    smoothed noise, or model mismatch) is F times less certain than chi2 with white noise says (the variance of
    a weighted mean of correlated errors is sigma^2 / n times the sum of their correlation coefficients)."""
    r = np.asarray(residual, dtype=np.float64).reshape(-1, SNIPPET_SIZE, SNIPPET_SIZE)
    r = r - r.mean(axis=(1, 2), keepdims=True)
    zero_lag = np.einsum("nij,nij->n", r, r)
    total = zero_lag.copy()
    n = SNIPPET_SIZE
    for dy in range(0, max_lag_px + 1):  # half of the lags; auto(-lag) = auto(lag)
        for dx in range(-max_lag_px, max_lag_px + 1):
            if dy == 0 and dx <= 0:
                continue
            a = r[:, : n - dy, max(0, -dx) : n - max(0, dx)]
            b = r[:, dy:, max(0, dx) : n - max(0, -dx)]
            total += 2.0 * np.einsum("nij,nij->n", a, b)
    return np.maximum(1.0, total / np.maximum(zero_lag, 1e-300))


def cell_bounds(start_xy_m, pixel_size_m, max_shift_px, z_bounds_m=Z_BOUNDS_M):
    """(lower, upper) (N, 4) of the cell's x, y, z, mass: within ``max_shift_px`` of the start (so that it
    cannot run to a stronger neighbour) and inside the snippet."""
    n = len(start_xy_m)
    half = CELL_RANGE_PX * pixel_size_m
    shift = max_shift_px * pixel_size_m
    lo = np.tile([0.0, 0.0, z_bounds_m[0], MASS_BOUNDS_KG[0]], (n, 1))
    hi = np.tile([0.0, 0.0, z_bounds_m[1], MASS_BOUNDS_KG[1]], (n, 1))
    lo[:, :2] = np.minimum(np.maximum(start_xy_m - shift, -half), half)
    hi[:, :2] = np.maximum(np.minimum(start_xy_m + shift, half), -half)
    return lo, hi


def _bounds(ctx, idx, n_params):
    lo4, hi4 = cell_bounds(ctx.start_xy[idx], ctx.pixel_size_m, ctx.max_shift_px, ctx.z_bounds_m)
    n_neighbours = (n_params - N_DIPOLE_PARAMS - ctx.n_bg) // PARAMS_PER_NEIGHBOUR
    r = NEIGHBOUR_RANGE_PX * ctx.pixel_size_m
    m = len(idx)
    rest_lo = np.tile([-np.inf] * (1 + ctx.n_bg) + [-r, -r, Z_BOUNDS_M[0], MASS_BOUNDS_KG[0]] * n_neighbours, (m, 1))
    rest_hi = np.tile([np.inf] * (1 + ctx.n_bg) + [r, r, Z_BOUNDS_M[1], MASS_BOUNDS_KG[1]] * n_neighbours, (m, 1))
    return np.hstack([lo4, rest_lo]), np.hstack([hi4, rest_hi])


def fit_group(ctx, idx, params, freeze_upto=0):
    """``fit_many`` over the snippets ``idx``, all with the same parameter count, from ``params`` (m, p).
    Parameters before ``freeze_upto`` are held where they are (lower = upper)."""
    params = np.array(params, dtype=np.float64)
    lo, hi = _bounds(ctx, idx, params.shape[1])
    params[:, :4] = np.clip(params[:, :4], lo[:, :4], hi[:, :4])
    if freeze_upto:
        lo[:, :freeze_upto] = hi[:, :freeze_upto] = params[:, :freeze_upto]
    sigma = ctx.noise[idx, None] * np.where(ctx.valid[idx], 1.0, _PADDING_SIGMA_FACTOR)
    return fit_many(dipole_snippet_model, ctx.points, ctx.data[idx], params, lo, hi, sigma=sigma, consts=ctx.consts,
                    absolute_sigma=True, max_iter=ctx.max_iter)


def evaluate(points, params, consts):
    """Model values (n,) at ``params`` through the same plug-in model the core uses."""
    values = np.empty(points.shape[1])
    jac = np.empty((len(params), points.shape[1]))
    dipole_snippet_model(np.ascontiguousarray(params, dtype=np.float64), points, consts, values, jac)
    return values


def _cell_field(points, params, consts):
    """The modelled field of the cell alone (no background, no neighbours)."""
    p = np.zeros(N_DIPOLE_PARAMS + int(consts[3]))
    p[:4] = params[:4]
    return evaluate(points, p, consts)


def _neighbour_start(residual, cell_field, noise, cell_xy_px, pixel_size_m, snr, per_kg_at_start):
    """Start (x, y, z, m) of a dipole at the strongest residual signature away from the cell, or None.

    Away from the cell: more than NEIGHBOUR_MIN_DISTANCE_PX from its centre and where the residual is over
    twice the cell's own modelled field (so that the cell's own mismatch - random clusters - is not taken for
    a neighbour)."""
    r = residual.reshape(SNIPPET_SIZE, SNIPPET_SIZE)
    rows, cols = np.mgrid[0:SNIPPET_SIZE, 0:SNIPPET_SIZE]
    dist = np.hypot(cols - REFERENCE_INDEX - cell_xy_px[0], rows - REFERENCE_INDEX - cell_xy_px[1])
    far = (dist > NEIGHBOUR_MIN_DISTANCE_PX) & (np.abs(r) > 2.0 * np.abs(cell_field.reshape(r.shape)))
    strength = np.where(far, np.abs(r), 0.0)
    k = np.unravel_index(np.argmax(strength), r.shape)
    if strength[k] < snr * noise:
        return None
    return np.array([(k[1] - REFERENCE_INDEX) * pixel_size_m, (k[0] - REFERENCE_INDEX) * pixel_size_m,
                     DEFAULT_START_Z_M, strength[k] / per_kg_at_start])


def add_neighbours(ctx, params, chi2, covs, converged, residual, max_neighbours, snr):
    """Greedy: model the strongest residual signature away from the cell as a neighbour dipole (its own
    parameters fitted first, then everything), keep it if chi2 drops by over NEIGHBOUR_MIN_CHI2_DROP and it
    stays NEIGHBOUR_MIN_DISTANCE_PX from the cell; repeat. Updates the lists/arrays in place."""
    p_size = ctx.pixel_size_m
    per_kg = float(physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(1.0), DEFAULT_START_Z_M, ctx.polar_deg))
    active = list(range(len(params)))
    for _ in range(max_neighbours):
        groups = {}
        for i in active:
            p = params[i]
            nb = _neighbour_start(np.where(ctx.valid[i], residual[i], 0.0), _cell_field(ctx.points, p, ctx.consts),
                                  ctx.noise[i], (p[0] / p_size, p[1] / p_size), p_size, snr, per_kg)
            if nb is not None:
                groups.setdefault(len(p) + len(nb), []).append((i, np.concatenate([p, nb])))
        kept = []
        for group in groups.values():
            idx = np.array([i for i, _ in group])
            trial = np.array([st for _, st in group])
            trial = fit_group(ctx, idx, trial, freeze_upto=trial.shape[1] - PARAMS_PER_NEIGHBOUR).params
            fit = fit_group(ctx, idx, trial)
            for row, i in enumerate(idx):
                new = fit.params[row]
                xy = new[N_DIPOLE_PARAMS + ctx.n_bg:].reshape(-1, PARAMS_PER_NEIGHBOUR)[:, :2] - new[:2]
                apart = np.all(np.hypot(xy[:, 0], xy[:, 1]) > NEIGHBOUR_MIN_DISTANCE_PX * p_size)
                if apart and chi2[i] - fit.chi2[row] > NEIGHBOUR_MIN_CHI2_DROP:
                    params[i], chi2[i], covs[i], converged[i] = new, fit.chi2[row], fit.cov[row], fit.converged[row]
                    residual[i] = ctx.data[i] - evaluate(ctx.points, new, ctx.consts)
                    kept.append(i)
        active = kept
        if not active:
            break
