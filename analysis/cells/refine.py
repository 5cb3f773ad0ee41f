"""Physics refinement of cells in 32 x 32 snippets: the hybrid (grey-box) step after the CNN.

Stage A, physics alone: a least-squares fit (the one LM core of ``analysis.fitting``, model
``dipole_snippet_model``) of a point dipole along the NV axis plus a polynomial background, started from the
CNN's answer (or any start), with the cell kept within ``max_shift_px`` of its start. Neighbouring cells whose
fields reach into the snippet are modelled too: the strongest signature that the start leaves unexplained away
from the cell (over ``neighbour_snr`` noise sigmas) gets a dipole of its own (its parameters fitted first,
then everything), kept if chi2 drops by more than ``NEIGHBOUR_MIN_CHI2_DROP``; up to ``max_neighbours``.

Stage B, hybrid (when ``start_sigma`` is given): the fit's (x, y, z, ln m) and the start's (the CNN's answer
with its held-out scatter) combined by their uncertainties, as correlated measurements (``hybrid``): the fit's
covariance scaled by its misfit (below) plus the point dipole's model floor for a cell of the CNN's diameter
at that height. A snippet the point dipole describes to the noise follows the data; one it does not (random
clusters close to the sensor, unmodelled neighbours) leans on the CNN, in proportion; where the two disagree
beyond their errors the start is kept (``SnippetFits.disagree``). The combined errors are widened where the
fit modelled neighbours or disagreed with the CNN (``hybrid.error_calibration``, measured on a validation
set). Stage A's result is kept in ``SnippetFits.physics_only``.

Errors: sqrt(diag) of the covariance (J^T W^2 J)^-1. In stage A they are scaled by sqrt(max(1, reduced chi2)
* F): the Birge ratio (residual larger than the noise: model mismatch) times F, the sum of the residual's
autocorrelation over lags up to 2 px (``correlation_factor``: correlated noise or smooth mismatch carry fewer
independent pixels than there are). Stage B uses the same scaled covariance, so the CNN's weight grows
as the point dipole fits worse.

Snippet frame (as the CNN and ``models.training_data``): pixel (i, j) of the snippet sits at
x = (j - 16) p, y = (i - 16) p; ``x_px``, ``y_px`` are the cell centre in pixels from that reference pixel.
"""

from dataclasses import dataclass, field

import numpy as np

from analysis import physics

from .dipole_model import N_DIPOLE_PARAMS, PARAMS_PER_NEIGHBOUR, model_points
from .hybrid import PHYSICS_ERROR_SCALE, combine, error_calibration, model_floor_sigmas
from .snippet_fit import (
    DEFAULT_START_Z_M,
    MASS_BOUNDS_KG,
    NEIGHBOUR_MIN_CHI2_DROP,
    REFERENCE_INDEX,
    SNIPPET_SIZE,
    Z_BOUNDS_M,
    FitContext,
    add_neighbours,
    cell_bounds,
    correlation_factor,
    evaluate,
    fit_group,
    robust_noise_t,
)

__all__ = ["NEIGHBOUR_MIN_CHI2_DROP", "SnippetFits", "naive_start", "refine_snippets", "robust_noise_t"]
START_SIGMA_KEYS = ("x_px", "y_px", "z_m", "ln_iron_mass")
NAIVE_SEARCH_HALF_PX = 8


@dataclass
class SnippetFits:
    """Refined parameters of N snippets (arrays of shape (N,), SI units; positions in pixels of the snippet
    frame) with one-sigma errors ``*_err``. ``reduced_chi2`` = sum (residual / noise)^2 / (pixels - parameters)
    over the pixels. ``model_t`` (N, 32, 32) is everything fitted (cell, neighbours, background),
    ``residual_t`` the snippet minus it. ``physics_only``: dict of the stage-A values and errors (same keys)."""

    x_px: np.ndarray
    y_px: np.ndarray
    z_m: np.ndarray
    iron_mass_kg: np.ndarray
    background_t: np.ndarray
    x_px_err: np.ndarray
    y_px_err: np.ndarray
    z_m_err: np.ndarray
    iron_mass_kg_err: np.ndarray
    background_t_err: np.ndarray
    reduced_chi2: np.ndarray
    dof: np.ndarray
    noise_t: np.ndarray
    converged: np.ndarray
    at_bound: np.ndarray
    n_neighbours: np.ndarray
    model_t: np.ndarray = field(repr=False)
    residual_t: np.ndarray = field(repr=False)
    neighbours: list = field(repr=False, default_factory=list)
    """Per snippet, an (k, 4) array of modelled neighbours: x_px, y_px, z_m, iron_mass_kg."""
    physics_only: dict = field(repr=False, default_factory=dict)
    disagree: np.ndarray = field(repr=False, default=None)
    """Hybrid only: fit and start disagreed beyond DISAGREE_SIGMAS, the start was kept."""


def naive_start(snippets_t, pixel_size_m, z_m=DEFAULT_START_Z_M, nv_polar_deg=physics.NV_POLAR_ANGLE_DEG,
                search_half_px=NAIVE_SEARCH_HALF_PX):
    """The start a fit would take without the CNN: centre at the largest pixel within ``search_half_px`` of
    the snippet's centre (the positive lobe of the cell one clicked on, not a brighter neighbour's), height
    ``z_m``, iron mass from that peak, m = (max - median) / peak_b_nv_t(1 kg at z), C = the snippet's median."""
    s = np.asarray(snippets_t, dtype=np.float64)
    n = len(s)
    median = np.median(s.reshape(n, -1), axis=1)
    lo, hi = REFERENCE_INDEX - search_half_px, REFERENCE_INDEX + search_half_px
    centre = s[:, lo:hi, lo:hi].reshape(n, -1)
    k = np.argmax(centre, axis=1)
    rows, cols = np.unravel_index(k, (hi - lo, hi - lo))
    per_kg = float(physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(1.0), z_m, nv_polar_deg))
    amplitude = np.maximum(centre[np.arange(n), k] - median, 0.0)
    return {"x_px": (cols + lo - REFERENCE_INDEX).astype(float), "y_px": (rows + lo - REFERENCE_INDEX).astype(float),
            "z_m": np.full(n, float(z_m)), "iron_mass_kg": amplitude / per_kg, "background_t": median}


def _check_snippets(snippets_t):
    s = np.asarray(snippets_t, dtype=np.float64)
    if s.ndim == 2:
        s = s[None]
    if s.ndim != 3 or s.shape[1:] != (SNIPPET_SIZE, SNIPPET_SIZE):
        raise ValueError(f"snippets have shape {np.shape(snippets_t)}; give (N, 32, 32) or (32, 32) B_NV in tesla.")
    if not np.all(np.isfinite(s)):
        raise ValueError("snippets contain NaN or inf pixels; fill them (e.g. with the local median) first.")
    return s


def _start_params(start, n, n_bg, pixel_size_m):
    p0 = np.zeros((n, N_DIPOLE_PARAMS + n_bg))
    for col, key in enumerate(("x_px", "y_px", "z_m", "iron_mass_kg", "background_t")):
        if key not in start:
            raise ValueError(f"start has no {key!r}; give x_px, y_px, z_m, iron_mass_kg and background_t "
                             "(CellCNN.predict's output works as is).")
        p0[:, col] = np.broadcast_to(np.asarray(start[key], dtype=np.float64), (n,))
    p0[:, :2] *= pixel_size_m
    if not np.all(np.isfinite(p0)):
        raise ValueError("start has NaN or inf values; give finite starting parameters.")
    return p0


def _origin(p0, shift_origin_px, pixel_size_m):
    if shift_origin_px is None:
        return p0[:, :2].copy()
    x, y = (np.broadcast_to(np.asarray(v, dtype=np.float64), (len(p0),)) for v in shift_origin_px)
    return np.stack([x, y], axis=1) * pixel_size_m


def refine_snippets(snippets_t, start, pixel_size_m, noise_t=None, *, valid=None, start_sigma=None,
                    background_order=1, max_neighbours=3, neighbour_snr=6.0, max_shift_px=4.0, shift_origin_px=None,
                    z_bounds_m=Z_BOUNDS_M, start_diameter_m=None, nv_polar_deg=physics.NV_POLAR_ANGLE_DEG,
                    nv_azimuth_deg, max_iter=300):
    """Refine cells in snippets (N, 32, 32) of B_NV (T) from ``start`` (dict of (N,) arrays: x_px, y_px,
    z_m, iron_mass_kg, background_t - ``CellCNN.predict``'s output works as is).

    noise_t: per-pixel noise sigma (T), scalar or (N,); None estimates it per snippet from the first fit's
    residual (1.4826 MAD). valid: None or (N, 32, 32) bool, False for padding outside the map (no weight).
    start_sigma: None (physics alone) or dict of (N,) one-sigma errors of the start, keys x_px, y_px (px),
    z_m (m), ln_iron_mass (relative): the hybrid stage B. start_diameter_m: the start's cell diameter (the
    CNN's), which sets the point dipole's model floor in stage B (``hybrid``; None: no floor).
    background_order: 0 constant, 1 plane (default), 2 quadratic. max_shift_px: how far the cell may move
    from its start (or from ``shift_origin_px``, a pair (x_px, y_px) of (N,) arrays, if given). z_bounds_m:
    the range the cell's height is kept in.
    Returns SnippetFits.
    """
    s = _check_snippets(snippets_t)
    n = len(s)
    points = model_points(*(2 * [(np.arange(SNIPPET_SIZE) - REFERENCE_INDEX) * pixel_size_m]), background_order)
    n_bg = points.shape[0] - 2
    p0 = _start_params(start, n, n_bg, pixel_size_m)
    estimate_noise = noise_t is None
    noise = np.full(n, 1e-7) if estimate_noise else np.broadcast_to(np.asarray(noise_t, dtype=float), (n,)).copy()
    if not np.all(noise > 0):
        raise ValueError(f"noise_t must be positive (T per pixel); got {noise_t!r}.")
    u = physics.nv_axis(nv_polar_deg, nv_azimuth_deg)
    valid = np.ones((n, SNIPPET_SIZE * SNIPPET_SIZE), dtype=bool) if valid is None else \
        np.broadcast_to(np.asarray(valid, dtype=bool).reshape(-1, SNIPPET_SIZE * SNIPPET_SIZE), (n, SNIPPET_SIZE**2))
    if not np.all(valid.sum(axis=1) > 64):
        raise ValueError("some snippets have fewer than 64 pixels inside the map; a cell that close to the "
                         "corner of the image cannot be fitted.")
    ctx = FitContext(data=s.reshape(n, -1), points=points, n_bg=n_bg,
                     consts=np.array([*u, n_bg, SNIPPET_SIZE * SNIPPET_SIZE]),
                     start_xy=_origin(p0, shift_origin_px, pixel_size_m), pixel_size_m=pixel_size_m,
                     max_shift_px=max_shift_px, noise=noise, valid=valid, max_iter=max_iter,
                     z_bounds_m=tuple(z_bounds_m), polar_deg=nv_polar_deg)
    everyone = np.arange(n)
    fit = fit_group(ctx, everyone, p0)
    if estimate_noise:  # the first fit's residual gives the noise; refit so that chi2 and errors are in its units
        first = ctx.data - np.array([evaluate(points, p, ctx.consts) for p in fit.params])
        ctx.noise = noise = np.maximum(robust_noise_t(first, valid), 1e-15)
        fit = fit_group(ctx, everyone, fit.params)
    params = list(fit.params)
    chi2 = fit.chi2.copy()
    covs = list(fit.cov)
    converged = fit.converged.copy()
    # neighbours are looked for in what the start leaves unexplained: the first fit may be spoiled by them
    residual = ctx.data - np.array([evaluate(points, p, ctx.consts) for p in p0])
    if max_neighbours > 0:
        add_neighbours(ctx, params, chi2, covs, converged, residual, max_neighbours, neighbour_snr)
    model = np.array([evaluate(points, p, ctx.consts) for p in params])
    residual = np.where(valid, ctx.data - model, 0.0)
    inflation = correlation_factor(residual)
    stage_a = _summarise(params, covs, residual, valid, noise, pixel_size_m, inflation=inflation)
    n_neighbours = np.array([(len(p) - N_DIPOLE_PARAMS - n_bg) // PARAMS_PER_NEIGHBOUR for p in params])
    if start_sigma is not None:
        factor = np.maximum(1.0, stage_a["reduced_chi2"]) * inflation
        cov_q, disagree = _hybrid_stage(params, covs, p0, start_sigma, factor, start_diameter_m, pixel_size_m)
        model = np.array([evaluate(points, p, ctx.consts) for p in params])
        residual = np.where(valid, ctx.data - model, 0.0)
        final = dict(_summarise(params, covs, residual, valid, noise, pixel_size_m, inflation=None),
                     background_t_err=stage_a["background_t_err"])
        errors = np.sqrt(np.diagonal(cov_q, axis1=1, axis2=2)) * error_calibration(n_neighbours, disagree)[:, None]
        final["x_px_err"], final["y_px_err"] = errors[:, 0] / pixel_size_m, errors[:, 1] / pixel_size_m
        final["z_m_err"], final["iron_mass_kg_err"] = errors[:, 2], errors[:, 3] * final["iron_mass_kg"]
    else:
        final, disagree = stage_a, np.zeros(n, dtype=bool)
    lower, upper = cell_bounds(ctx.start_xy, pixel_size_m, max_shift_px, ctx.z_bounds_m)
    at_bound = np.array([np.any(p[:4] <= lower[i]) or np.any(p[:4] >= upper[i]) for i, p in enumerate(params)])
    neighbours = []
    for p in params:
        nb = p[N_DIPOLE_PARAMS + n_bg:].reshape(-1, PARAMS_PER_NEIGHBOUR).copy()
        nb[:, :2] /= pixel_size_m
        neighbours.append(nb)
    return SnippetFits(
        **{k: final[k] for k in ("x_px", "y_px", "z_m", "iron_mass_kg", "background_t", "x_px_err", "y_px_err",
                                 "z_m_err", "iron_mass_kg_err", "background_t_err", "reduced_chi2", "dof")},
        noise_t=noise, converged=converged, at_bound=at_bound, disagree=disagree,
        n_neighbours=n_neighbours, model_t=model.reshape(s.shape),
        residual_t=residual.reshape(s.shape), neighbours=neighbours, physics_only=stage_a,
    )


def _hybrid_stage(params, covs, p0, start_sigma, variance_factor, start_diameter_m, pixel_size_m):
    """Stage B: combine the fit (q = x, y, z, ln m; its covariance times ``variance_factor``, plus the model
    floor when ``start_diameter_m`` is given) with the start and its ``start_sigma`` (``hybrid.combine``).
    Updates the cell's parameters in ``params`` in place; returns the (N, 4, 4) covariances of q and where
    fit and start disagreed (the start kept)."""
    n = len(params)
    sig = {}
    for key in START_SIGMA_KEYS:
        if key not in start_sigma:
            raise ValueError(f"start_sigma has no {key!r}; give one-sigma errors for {START_SIGMA_KEYS}.")
        sig[key] = np.broadcast_to(np.asarray(start_sigma[key], dtype=np.float64), (n,))
        if not np.all(sig[key] > 0):
            raise ValueError(f"start_sigma[{key!r}] must be positive; got {start_sigma[key]!r}.")
    q_phys = np.array([[p[0], p[1], p[2], np.log(max(p[3], MASS_BOUNDS_KG[0]))] for p in params])
    cov_phys = np.empty((n, 4, 4))
    for i, (p, cov) in enumerate(zip(params, covs, strict=True)):
        jac = np.diag([1.0, 1.0, 1.0, 1.0 / max(p[3], MASS_BOUNDS_KG[0])])
        cov_phys[i] = jac @ cov[:4, :4] @ jac * variance_factor[i] * PHYSICS_ERROR_SCALE**2
    if start_diameter_m is not None:
        floor = model_floor_sigmas(np.broadcast_to(start_diameter_m, (n,)), p0[:, 2])
        for k in range(4):
            cov_phys[:, k, k] += floor[k] ** 2
    q_start = np.stack([p0[:, 0], p0[:, 1], p0[:, 2], np.log(np.maximum(p0[:, 3], MASS_BOUNDS_KG[0]))], axis=1)
    sigma_start = np.stack([sig["x_px"] * pixel_size_m, sig["y_px"] * pixel_size_m, sig["z_m"], sig["ln_iron_mass"]],
                           axis=1)
    q, cov_q, disagree = combine(q_phys, cov_phys, q_start, sigma_start)
    for i in range(n):
        params[i] = params[i].copy()
        params[i][:4] = [q[i, 0], q[i, 1], q[i, 2], np.exp(q[i, 3])]
    return cov_q, disagree


def _summarise(params, covs, residual, valid, noise, pixel_size_m, inflation):
    """Cell values and errors of every snippet; with ``inflation`` (N,) (stage A), errors times
    sqrt(max(1, reduced chi2) * inflation)."""
    n_valid = valid.sum(axis=1)
    out = {k: np.empty(len(params)) for k in ("x_px", "y_px", "z_m", "iron_mass_kg", "background_t", "x_px_err",
                                              "y_px_err", "z_m_err", "iron_mass_kg_err", "background_t_err",
                                              "reduced_chi2")}
    out["dof"] = np.array([n_valid[i] - len(p) for i, p in enumerate(params)])
    scale = np.array([pixel_size_m, pixel_size_m, 1.0, 1.0, 1.0])
    for i, (p, cov) in enumerate(zip(params, covs, strict=True)):
        red = float(np.sum(residual[i] ** 2) / noise[i] ** 2 / out["dof"][i])
        err = np.sqrt(np.abs(np.diagonal(cov)[:5]))
        if inflation is not None:
            err *= np.sqrt(max(1.0, red) * inflation[i])
        for k, key in enumerate(("x_px", "y_px", "z_m", "iron_mass_kg", "background_t")):
            out[key][i] = p[k] / scale[k]
            out[key + "_err"][i] = err[k] / scale[k]
        out["reduced_chi2"][i] = red
    return out
