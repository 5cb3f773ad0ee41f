"""Accuracy on held-out simulated snippets, at looser tolerances than docs/cells.md reports for 2,000 snippets.

The full report is ``python -m models.accuracy_report``; here 300 snippets of the same held-out seed keep the
test fast. With 300 snippets a median error is known to about +-7 % of itself, hence the margins.
"""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import CellCNN, default_model_path, refine_snippets
from analysis.cells.cnn_errors import cnn_sigmas
from models.accuracy_report import BACKGROUND_ORDER, DEFAULT_SEED, MAX_NEIGHBOURS
from models.training_data import DEFAULT_RECIPE, compose_snippets, generate_snippets, render_geometry

SIM_AZIMUTH_DEG = physics.DEFAULT_NV_AZIMUTH_DEG
"""The NV azimuth the maps here are simulated with (``physics.nv_axis``'s default)."""

PIXEL_M = DEFAULT_RECIPE.pixel_size_m
NOISE_T = 50e-9
COUNT = 300


def _median_errors(answer, truth):
    return (float(np.median(np.abs(answer["iron_mass_kg"] / truth["iron_mass_kg"] - 1))),
            float(np.median(np.abs(answer["z_m"] - truth["z_m"]))) * 1e6,
            float(np.median(np.hypot(answer["x_px"] - truth["x_px"], answer["y_px"] - truth["y_px"]))))


def test_physics_fit_of_isolated_cells_reaches_the_point_dipole_floor():
    """Training-like snippets without neighbours, fitted from a perturbed truth: at peak SNR >= 30 the fit
    is limited by the random clusters (docs/cells.md, noiseless: 3.4 % / 0.72 um / 0.68 px over all z/d,
    17.9 % / 1.53 um / 1.23 px at z/d < 1), not by the noise."""
    geometry = render_geometry(120, DEFAULT_SEED + 1)
    geometry["neighbour_field_t"][:] = 0.0
    snippets, truth = compose_snippets(geometry, np.random.default_rng(1), noise_sigma_t=NOISE_T)
    rng = np.random.default_rng(2)
    start = {"x_px": truth["x_px"] + rng.normal(0, 0.5, 120), "y_px": truth["y_px"] + rng.normal(0, 0.5, 120),
             "z_m": truth["z_m"] * rng.uniform(0.9, 1.1, 120),
             "iron_mass_kg": truth["iron_mass_kg"] * rng.uniform(0.8, 1.2, 120), "background_t": np.zeros(120)}
    fit = refine_snippets(snippets, start, PIXEL_M, NOISE_T, background_order=BACKGROUND_ORDER, max_neighbours=0,
                          nv_azimuth_deg=SIM_AZIMUTH_DEG)
    strong = truth["peak_snr"] >= 30
    mass, z_um, pos = _median_errors({k: getattr(fit, k)[strong] for k in ("iron_mass_kg", "z_m", "x_px", "y_px")},
                                     {k: v[strong] for k, v in truth.items()})
    assert strong.sum() > 30
    # strong cells are mostly close to the sensor (small z/d), where the floor is largest: measured 12 %,
    # 0.94 um, 0.67 px on these 120 snippets
    assert mass < 0.18 and z_um < 1.4 and pos < 1.0


@pytest.mark.skipif(not default_model_path().is_file(), reason="the trained CNN model is not committed yet")
def test_hybrid_is_at_least_as_good_as_the_cnn_on_held_out_snippets():
    snippets, truth = generate_snippets(COUNT, DEFAULT_SEED, noise_sigma_t=NOISE_T)
    cnn = CellCNN()
    pred = cnn.predict(snippets, pixel_size_m=PIXEL_M)
    hybrid = refine_snippets(snippets, pred, PIXEL_M, NOISE_T, start_sigma=cnn_sigmas(cnn.card, pred, NOISE_T),
                             start_diameter_m=pred["diameter_m"], background_order=BACKGROUND_ORDER,
                             max_neighbours=MAX_NEIGHBOURS, nv_azimuth_deg=SIM_AZIMUTH_DEG)
    cnn_mass, cnn_z, cnn_pos = _median_errors(pred, truth)
    hyb_mass, hyb_z, hyb_pos = _median_errors({k: getattr(hybrid, k) for k in ("iron_mass_kg", "z_m", "x_px",
                                                                                "y_px")}, truth)
    # docs/cells.md, 2,000 snippets: CNN 15.1 %, 1.19 um, 0.83 px; hybrid 14.6 %, 1.13 um, 0.81 px. A median
    # over 300 snippets scatters by about 1.2 / sqrt(300) = 7 % of itself: margins of about 4 sigma
    assert cnn_mass < 0.22 and cnn_z < 1.6 and cnn_pos < 1.1
    assert hyb_mass < cnn_mass + 0.02 and hyb_z < cnn_z + 0.15 and hyb_pos < cnn_pos + 0.08
    assert hybrid.converged.mean() > 0.9
    # honest one-sigma errors, with and without modelled neighbours: Gaussian pulls have median |pull| 0.67;
    # the median of ~150 |pulls| scatters by about 0.07 (validation, seed 4244: 0.54-0.70)
    pulls = {"ln m": np.log(hybrid.iron_mass_kg / truth["iron_mass_kg"]) / (hybrid.iron_mass_kg_err
                                                                             / hybrid.iron_mass_kg),
             "z": (hybrid.z_m - truth["z_m"]) / hybrid.z_m_err, "x": (hybrid.x_px - truth["x_px"]) / hybrid.x_px_err}
    for with_neighbours in (True, False):
        sel = (hybrid.n_neighbours > 0) == with_neighbours
        for name, pull in pulls.items():
            assert 0.4 < np.median(np.abs(pull[sel])) < 0.9, (name, with_neighbours)


def test_average_of_one_network_with_itself_is_that_network():
    """``accuracy_report --average``: the table has a row per model and one for the average, which for the same
    model twice is that model's."""
    from models.accuracy_report import average_of_networks

    path = str(default_model_path())
    lines = average_of_networks([path, path], n=64).splitlines()
    assert len(lines) == 5 and lines[-1].startswith("| average |")
    assert lines[2].split("|")[2:] == lines[4].split("|")[2:]
