"""How well any point-dipole refinement could do on the held-out set: the floors behind the accuracy targets.

Two limits add up for every cell of ``models.training_data``'s recipe:

- the model floor: a membrane with N random clusters is not a point dipole at the sphere's centre. The best
  point dipole for the noiseless field of the cell alone (no neighbours, fit started from the truth) is off
  the truth by an amount that grows as (d/z)^2 (``point_dipole_floor``). A refinement that also fits a
  background (it must: the snippets carry one) lets the background terms take up part of the mismatch, and
  the floor roughly doubles in mass (quadratic background: 7.1 % instead of 3.3 % median on the held-out set);
- the noise floor: the Cramer-Rao bound of the point dipole + background model at the snippet's noise, the
  smallest covariance any unbiased estimator can have, F^-1 with F = J^T Sigma^-1 J (J the model's Jacobian
  at the truth, Sigma the noise covariance: white, or the 3 x 3 binomial smoothing of half the snippets).

``achievable_errors`` adds, per cell, its model-floor error and a draw from its Cramer-Rao Gaussian: the error
of an ideal unbiased point-dipole refinement that models neighbours perfectly. An estimator with a prior (the
CNN learns the training distribution) can beat the noise floor for faint cells, never the model floor on
average; neighbours and the background's extra terms only add to both.
"""

import numpy as np

from analysis.cells.cnn_errors import MAD_TO_SIGMA, RADIAL_MEDIAN_TO_SIGMA
from analysis.cells.dipole_model import dipole_snippet_model, model_points
from analysis.fitting import fit_many
from analysis.physics import nv_axis
from models.training_data import (
    BINOMIAL_NORM,
    BINOMIAL_WEIGHTS,
    DEFAULT_RECIPE,
    SNIPPET_SIZE,
    generate_with_geometry,
    render_geometry,
    snippet_axes_m,
)

SIGMA_TO_MEDIAN_ABS = 1.0 / MAD_TO_SIGMA
"""Median |error| of a Gaussian in units of its sigma (0.6745)."""


def point_dipole_floor(geometry, pixel_size_m=DEFAULT_RECIPE.pixel_size_m, background_order=0):
    """Best point dipole (+ background of ``background_order``: 0 a constant, 1 plane, 2 quadratic) for each
    cell's noiseless unit-mass field (1 pg) started from the truth.
    Returns dict of (n,) errors: ln_mass (ln(fit / truth)), z_m, x_px, y_px (signed)."""
    n = len(geometry["z_m"])
    p = pixel_size_m
    points = model_points(*snippet_axes_m(p), background_order)
    n_bg = points.shape[0] - 2
    start = np.zeros((n, 5 + n_bg))
    start[:, :4] = np.c_[geometry["x_px"] * p, geometry["y_px"] * p, geometry["z_m"], np.full(n, 1e-15)]
    fit = fit_many(dipole_snippet_model, points, geometry["unit_field_t"].reshape(n, -1).astype(np.float64), start,
                   sigma=np.full(points.shape[1], 1e-9), consts=np.r_[nv_axis(), n_bg, float(SNIPPET_SIZE**2)],
                   absolute_sigma=True)
    return {"ln_mass": np.log(np.maximum(fit.params[:, 3], 1e-30) / 1e-15), "z_m": fit.params[:, 2] - geometry["z_m"],
            "x_px": fit.params[:, 0] / p - geometry["x_px"], "y_px": fit.params[:, 1] / p - geometry["y_px"]}


def point_dipole_floor_table(n=600, seed=778, background_orders=(0, 2)):
    """Markdown: median errors (mass / z (um) / position (px)) of the best point dipole for noiseless
    random-cluster cells (no neighbours, fit started from the truth), by z/d, with a constant background and
    with each of the other ``background_orders``."""
    from models.evaluate import Z_OVER_D_BINS

    geometry = render_geometry(n, seed)
    z_over_d = geometry["z_m"] / geometry["diameter_m"]
    columns = []
    for order in background_orders:
        floor = point_dipole_floor(geometry, background_order=order)
        columns.append((np.abs(np.expm1(floor["ln_mass"])), np.abs(floor["z_m"]) * 1e6,
                        np.hypot(floor["x_px"], floor["y_px"])))
    names = {0: "constant background", 1: "plane background", 2: "quadratic background"}
    lines = ["| z/d | " + " | ".join(f"{names[o]}: mass / z (um) / position (px)" for o in background_orders) + " |",
             "| --- |" + " --- |" * len(background_orders)]
    for lo, hi in list(zip(Z_OVER_D_BINS[:-1], Z_OVER_D_BINS[1:], strict=True)) + [(0.0, np.inf)]:
        sel = (z_over_d >= lo) & (z_over_d < hi)
        label = "all" if lo == 0.0 else f"{lo:.1f}-{hi:.1f}"
        lines.append(f"| {label} | " + " | ".join(
            f"{100 * np.median(mass[sel]):.1f} % / {np.median(z_um[sel]):.2f} / {np.median(pos[sel]):.2f}"
            for mass, z_um, pos in columns) + " |")
    return "\n".join(lines)


def _smoothing_operator():
    """(1024, 1156) matrix of the generator's correlated noise: 3 x 3 binomial smoothing of a 34 x 34 white
    field, renormalised so that each pixel keeps sigma."""
    size, pad = SNIPPET_SIZE, SNIPPET_SIZE + 2
    kernel = np.outer(BINOMIAL_WEIGHTS, BINOMIAL_WEIGHTS) / BINOMIAL_NORM
    op = np.zeros((size * size, pad * pad))
    for r in range(size):
        for c in range(size):
            for dr in range(3):
                for dc in range(3):
                    op[r * size + c, (r + dr) * pad + (c + dc)] = kernel[dr, dc]
    return op


def cramer_rao_sigmas(truth, noise_t, background_order, pixel_size_m=DEFAULT_RECIPE.pixel_size_m):
    """One-sigma Cramer-Rao bounds per cell of the point dipole + background (order 0-2) model: dict of (n,)
    ln_mass, z_m, x_px, y_px. ``truth`` as ``compose_snippets`` returns it (its ``correlated_noise`` picks
    the noise covariance of each snippet)."""
    p = pixel_size_m
    points = model_points(*snippet_axes_m(p), background_order)
    n_bg = points.shape[0] - 2
    consts = np.array([*nv_axis(DEFAULT_RECIPE.nv_polar_deg, DEFAULT_RECIPE.nv_azimuth_deg), n_bg, 1024.0])
    smooth = _smoothing_operator()
    precision = {False: np.eye(SNIPPET_SIZE**2) / noise_t**2,
                 True: np.linalg.inv(smooth @ smooth.T * noise_t**2)}
    out = {k: np.empty(len(truth["z_m"])) for k in ("ln_mass", "z_m", "x_px", "y_px")}
    values, jac = np.empty(points.shape[1]), np.empty((5 + n_bg, points.shape[1]))
    for i in range(len(truth["z_m"])):
        params = np.zeros(5 + n_bg)
        params[:4] = truth["x_px"][i] * p, truth["y_px"][i] * p, truth["z_m"][i], truth["iron_mass_kg"][i]
        dipole_snippet_model(params, points, consts, values, jac)
        cov = np.linalg.inv(jac @ precision[bool(truth["correlated_noise"][i])] @ jac.T)
        sd = np.sqrt(np.diagonal(cov))
        out["ln_mass"][i], out["z_m"][i] = sd[3] / params[3], sd[2]
        out["x_px"][i], out["y_px"][i] = sd[0] / p, sd[1] / p
    return out


def achievable_errors(n, seed, noise_t, background_order, draw_seed=0):
    """Per-cell errors of an ideal unbiased point-dipole refinement on the held-out set (n, seed, noise_t; the
    accuracy report's): model floor (with the refinement's background, ``background_order``) + a Cramer-Rao
    draw. Returns (errors dict of (n,) absolute errors: mass
    (relative), z_um, pos_px; the truth dict)."""
    geometry, _, truth = generate_with_geometry(n, seed, noise_sigma_t=noise_t)
    floor = point_dipole_floor(geometry, background_order=background_order)
    crb = cramer_rao_sigmas(truth, noise_t, background_order)
    rng = np.random.default_rng(draw_seed)
    draw = {k: floor[k] + crb[k] * rng.standard_normal(n) for k in crb}
    return {"mass": np.abs(np.expm1(draw["ln_mass"])), "z_um": np.abs(draw["z_m"]) * 1e6,
            "pos_px": np.hypot(draw["x_px"], draw["y_px"]),
            "floor_mass": np.abs(np.expm1(floor["ln_mass"])), "floor_z_um": np.abs(floor["z_m"]) * 1e6,
            "floor_pos_px": np.hypot(floor["x_px"], floor["y_px"]),
            "crb_mass": SIGMA_TO_MEDIAN_ABS * crb["ln_mass"], "crb_z_um": SIGMA_TO_MEDIAN_ABS * crb["z_m"] * 1e6,
            "crb_pos_px": 0.5 * (crb["x_px"] + crb["y_px"]) / RADIAL_MEDIAN_TO_SIGMA}, truth


def achievable_table(n, seed, noise_t, background_order, snr_bins):
    """Markdown: medians of the model floor, the noise floor (Cramer-Rao: 0.674 sigma; position 1.177 sigma, the
    median radius) and their sum per cell, overall and by peak SNR."""
    err, truth = achievable_errors(n, seed, noise_t, background_order)
    lines = ["| peak SNR | snippets | model floor: mass / z (um) / position (px) | noise floor (Cramer-Rao) | "
             "both: an ideal point-dipole refinement |", "| --- | --- | --- | --- | --- |"]
    bins = [(0.0, np.inf)] + list(zip(snr_bins[:-1], snr_bins[1:], strict=True))
    for lo, hi in bins:
        sel = (truth["peak_snr"] >= lo) & (truth["peak_snr"] < hi)
        if not sel.any():
            continue
        label = "all" if lo == 0.0 else f"{lo:.0f}-{'inf' if np.isinf(hi) else f'{hi:.0f}'}"
        cells = [" / ".join([f"{100 * np.median(err[a + 'mass'][sel]):.1f} %", f"{np.median(err[a + 'z_um'][sel]):.2f}",
                             f"{np.median(err[a + 'pos_px'][sel]):.2f}"]) for a in ("floor_", "crb_", "")]
        lines.append(f"| {label} | {int(sel.sum())} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
