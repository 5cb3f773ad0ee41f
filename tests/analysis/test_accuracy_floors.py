"""The floors the accuracy report sets the targets against (models.floors): Cramer-Rao bound and model floor."""

import numpy as np

from analysis.cells.dipole_model import dipole_snippet_model, model_points
from analysis.fitting import fit_many
from analysis.physics import nv_axis
from models.floors import _smoothing_operator, achievable_errors, cramer_rao_sigmas, point_dipole_floor
from models.training_data import DEFAULT_RECIPE, render_geometry, snippet_axes_m

P = DEFAULT_RECIPE.pixel_size_m


def _truth(n=4, correlated=False):
    rng = np.random.default_rng(3)
    return {"x_px": rng.uniform(-2, 2, n), "y_px": rng.uniform(-2, 2, n), "z_m": rng.uniform(8e-6, 30e-6, n),
            "iron_mass_kg": rng.uniform(0.5e-15, 5e-15, n), "correlated_noise": np.full(n, correlated)}


def test_cramer_rao_bound_is_the_covariance_the_fitter_reports_at_an_exact_solution():
    truth, noise = _truth(), 50e-9
    bound = cramer_rao_sigmas(truth, noise, background_order=1)
    points = model_points(*snippet_axes_m(P), 1)
    consts = np.r_[nv_axis(), 2.0, 1024.0]
    start = np.zeros((4, 7))
    start[:, :4] = np.c_[truth["x_px"] * P, truth["y_px"] * P, truth["z_m"], truth["iron_mass_kg"]]
    data = np.empty((4, points.shape[1]))
    jac = np.empty((7, points.shape[1]))
    for i in range(4):  # noiseless snippets of exactly the model: the fit stays at the truth
        dipole_snippet_model(start[i], points, consts, data[i], jac)
    fit = fit_many(dipole_snippet_model, points, data, start, sigma=np.full(points.shape[1], noise), consts=consts,
                   absolute_sigma=True)
    sd = np.sqrt(np.diagonal(fit.cov, axis1=1, axis2=2))
    np.testing.assert_allclose(bound["z_m"], sd[:, 2], rtol=1e-3)
    np.testing.assert_allclose(bound["ln_mass"], sd[:, 3] / truth["iron_mass_kg"], rtol=1e-3)
    np.testing.assert_allclose(bound["x_px"], sd[:, 0] / P, rtol=1e-3)


def test_bound_scales_with_noise_and_smoothed_noise_keeps_sigma_per_pixel():
    truth = _truth()
    a, b = cramer_rao_sigmas(truth, 20e-9, 0), cramer_rao_sigmas(truth, 40e-9, 0)
    np.testing.assert_allclose(b["ln_mass"], 2 * a["ln_mass"], rtol=1e-9)
    op = _smoothing_operator()
    np.testing.assert_allclose(np.sum(op**2, axis=1), 1.0, rtol=1e-9)
    # smoothed noise carries less independent information about a smooth dipole: a wider bound
    c = cramer_rao_sigmas(_truth(correlated=True), 20e-9, 0)
    assert np.all(c["ln_mass"] > a["ln_mass"])


def test_model_floor_shrinks_as_cells_move_away_relative_to_their_size():
    g = render_geometry(300, 11)
    floor = point_dipole_floor(g)
    z_over_d = g["z_m"] / g["diameter_m"]
    near, far = z_over_d < 1.0, z_over_d > 2.0
    assert np.median(np.abs(floor["ln_mass"][near])) > 4 * np.median(np.abs(floor["ln_mass"][far]))
    # a fitted quadratic background takes up part of the mismatch: the floor grows (about 2x in mass)
    quadratic = point_dipole_floor(g, background_order=2)
    assert np.median(np.abs(quadratic["ln_mass"])) > 1.4 * np.median(np.abs(floor["ln_mass"]))
    errors, truth = achievable_errors(200, 5, 50e-9, 2)
    assert errors["mass"].shape == (200,) and np.all(np.isfinite(errors["z_um"]))
