"""The CNN's training-data generator: determinism, ranges, and agreement with the physics forward model."""

import dataclasses

import numpy as np
import pytest

from analysis import physics
from models.training_data import (
    DEFAULT_RECIPE,
    REFERENCE_INDEX,
    SnippetRecipe,
    compose_snippets,
    generate_snippets,
    render_cells_snippet_t,
    render_geometry,
    snippet_axes_m,
)

TRUTH_KEYS = ("x_px", "y_px", "z_m", "diameter_m", "iron_mass_kg", "background_t")


@pytest.fixture(scope="module")
def batch():
    return generate_snippets(400, seed=5)


def test_same_seed_gives_identical_snippets_and_truth(batch):
    snippets, truth = generate_snippets(400, seed=5)
    np.testing.assert_array_equal(snippets, batch[0])
    for k in TRUTH_KEYS:
        np.testing.assert_array_equal(truth[k], batch[1][k])


def test_other_seed_gives_other_snippets(batch):
    snippets, _ = generate_snippets(400, seed=6)
    assert not np.allclose(snippets, batch[0])


def test_shapes_and_units(batch):
    snippets, truth = batch
    assert snippets.shape == (400, 32, 32) and snippets.dtype == np.float32
    for k in TRUTH_KEYS:
        assert truth[k].shape == (400,)
    # tesla: the faintest cells sit near 3 x the noise (>= 30 nT); the strongest (20 pg at z = 5 um, clusters
    # 2 um from the layer) reach a few millitesla
    peak = np.abs(snippets).reshape(400, -1).max(axis=1)
    assert 3e-8 < peak.min() and peak.max() < 1e-2


def test_truth_stays_inside_the_recipe_ranges(batch):
    _, t = batch
    r = DEFAULT_RECIPE
    assert np.all(np.abs(t["x_px"]) <= r.max_offset_px) and np.all(np.abs(t["y_px"]) <= r.max_offset_px)
    assert np.all(t["z_m"] >= t["diameter_m"] / 2.0)
    assert np.all((t["z_m"] >= r.z_range_m[0]) & (t["z_m"] <= r.z_range_m[1]))
    assert np.all((t["diameter_m"] >= r.diameter_range_m[0]) & (t["diameter_m"] <= r.diameter_range_m[1]))
    m = t["iron_mass_kg"]
    assert np.all((m >= r.iron_mass_range_kg[0] * (1 - 1e-9)) & (m <= r.iron_mass_range_kg[1] * (1 + 1e-9)))
    assert np.all((t["n_clusters"] >= 10) & (t["n_clusters"] <= 200))
    assert np.all((t["noise_sigma_t"] >= 10e-9) & (t["noise_sigma_t"] <= 300e-9))
    assert set(np.unique(t["n_neighbours"])) <= {0, 1, 2, 3}
    # the mass draw keeps every cell above min_peak_snr unless even the largest mass cannot reach it
    assert np.mean(t["peak_snr"] >= r.min_peak_snr * (1 - 1e-6)) > 0.99


def test_positions_spread_over_the_whole_offset_range(batch):
    _, t = batch
    # 400 uniform draws on [-3, 3]: the extremes come within 0.1 px of the ends with probability > 0.999
    assert t["x_px"].min() < -2.9 and t["x_px"].max() > 2.9


def test_noiseless_centred_cell_equals_the_physics_map():
    recipe = DEFAULT_RECIPE
    cell = physics.LabelledCell(x_m=0.4 * recipe.pixel_size_m, y_m=-1.2 * recipe.pixel_size_m, z_m=12e-6,
                                diameter_m=11e-6, iron_mass_kg=1.5e-15, n_clusters=40, cluster_seed=3)
    snippet = render_cells_snippet_t([cell], recipe)
    # the same cell on a 64 x 64 map with the snippet's reference pixel at (20, 30)
    r0, c0 = 20, 30
    x_m, y_m = physics.pixel_coordinates_m(64, 64, recipe.pixel_size_m)
    shifted = physics.LabelledCell(x_m=cell.x_m + c0 * recipe.pixel_size_m, y_m=cell.y_m + r0 * recipe.pixel_size_m,
                                   z_m=cell.z_m, diameter_m=cell.diameter_m, iron_mass_kg=cell.iron_mass_kg,
                                   n_clusters=cell.n_clusters, cluster_seed=cell.cluster_seed)
    full = physics.cells_b_nv_map_t([shifted], x_m, y_m, recipe.nv_axis_u())
    window = full[r0 - REFERENCE_INDEX : r0 + 16, c0 - REFERENCE_INDEX : c0 + 16]
    # same kernel term, summed in another order: agreement to rounding
    np.testing.assert_allclose(snippet, window, rtol=1e-9, atol=1e-9 * np.abs(window).max())


def test_generator_cell_field_is_linear_in_mass_and_matches_its_own_geometry():
    geometry = render_geometry(8, seed=11)
    quiet = SnippetRecipe(noise_sigma_range_t=(1e-15, 1.0001e-15), background_offset_rel=0.0,
                          background_slope_rel=0.0, background_curvature_rel=0.0, background_noise_multiple=0.0)
    snippets, truth = compose_snippets(geometry, np.random.default_rng(0), quiet)
    expected = geometry["unit_field_t"] * (truth["iron_mass_kg"] / 1e-15)[:, None, None] + geometry["neighbour_field_t"]
    np.testing.assert_allclose(snippets, expected, rtol=1e-4, atol=1e-12)


def test_snippet_axes_put_the_reference_pixel_at_zero():
    x_m, y_m = snippet_axes_m(1.3e-6)
    assert x_m[REFERENCE_INDEX] == 0.0 and y_m[REFERENCE_INDEX] == 0.0
    assert x_m[1] - x_m[0] == pytest.approx(1.3e-6)


def test_fixed_noise_level_gives_that_pixel_sigma():
    geometry = render_geometry(200, seed=12)
    geometry = dict(geometry, unit_field_t=np.zeros_like(geometry["unit_field_t"]) + 1e-6,
                    neighbour_field_t=np.zeros_like(geometry["neighbour_field_t"]))
    recipe = SnippetRecipe(background_offset_rel=0.0, background_slope_rel=0.0, background_curvature_rel=0.0,
                           background_noise_multiple=0.0)
    snippets, truth = compose_snippets(geometry, np.random.default_rng(1), recipe, noise_sigma_t=50e-9)
    residual = snippets - snippets.mean(axis=(1, 2), keepdims=True)
    # 200 x 1024 pixels: the pooled standard deviation is within 1 % of 50 nT
    assert residual.std() == pytest.approx(50e-9, rel=0.01)


def test_training_recipe_reaches_below_the_analysed_range():
    # the CNN is trained on cells down to peak SNR 1.5, so that the analysed ones (>= 3) are inside its data
    from models.training_data import TRAINING_RECIPE

    assert TRAINING_RECIPE.min_peak_snr < DEFAULT_RECIPE.min_peak_snr
    assert dataclasses.replace(TRAINING_RECIPE, min_peak_snr=DEFAULT_RECIPE.min_peak_snr) == DEFAULT_RECIPE
    _, t = compose_snippets(render_geometry(400, 9), np.random.default_rng(1), TRAINING_RECIPE)
    assert np.mean(t["peak_snr"] >= TRAINING_RECIPE.min_peak_snr * (1 - 1e-6)) > 0.99
    assert np.mean(t["peak_snr"] < DEFAULT_RECIPE.min_peak_snr) > 0.02
