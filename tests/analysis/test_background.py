"""Robust background removal: the dipoles of labelled cells must not bend the fitted surface."""

import numpy as np
import pytest

from analysis import physics
from analysis.background import dilate, polynomial_terms, remove_background
from instruments.virtual_microscope import VirtualSample, random_cells

FIELD_NOISE_T = 0.2e-6
"""Per-pixel noise of the field map (a fitted B_NV map of a few hundred on/off pairs)."""


def _noisy_map(sample, seed):
    return sample.b_nv_map_t() + np.random.default_rng(seed).normal(0.0, FIELD_NOISE_T, (sample.n_rows, sample.n_cols))


def _relative_error(background_t, sample):
    truth = sample.background_field_t() + sample.bias_field_t
    error = (background_t - background_t.mean()) - (truth - truth.mean())
    return float(np.max(np.abs(error)) / np.ptp(truth))


@pytest.mark.parametrize("seed", [0, 1])
def test_background_under_realistic_cells_within_5_percent(seed):
    # The virtual microscope's default field: 256 x 256 pixels of 1.3 um, 10-20 random cells, the default
    # quadratic background (6.6 uT peak to peak); the recovered surface must be within 5 % of that.
    n_cells = int(np.random.default_rng(seed).integers(10, 21))
    sample = VirtualSample(cells=random_cells(n_cells, seed))
    background, residual, info = remove_background(_noisy_map(sample, seed), pixel_size_m=sample.pixel_size_m)
    assert _relative_error(background, sample) < 0.05
    # the residual is the cells' field plus the noise: flat under the dipoles' wings
    assert np.sqrt(np.mean((residual - sample.cell_field_t() - np.mean(residual)) ** 2)) < 1.5 * FIELD_NOISE_T
    assert info["noise_t"] == pytest.approx(FIELD_NOISE_T, rel=0.05)


def test_strong_cells_crowded_in_one_corner_do_not_bend_the_surface():
    # Six heavily labelled cells (5 pg, 10-15 um) in one corner: a plain least-squares surface follows them
    # (over 10 % error), the robust fit must not.
    rng = np.random.default_rng(0)
    cells = tuple(physics.LabelledCell(float(rng.uniform(20e-6, 110e-6)), float(rng.uniform(20e-6, 110e-6)),
                                       float(rng.uniform(10e-6, 15e-6)), 12e-6, 5e-15, 60,
                                       cluster_seed=int(rng.integers(1000))) for _ in range(6))
    sample = VirtualSample(cells=cells)
    field = _noisy_map(sample, 3)
    plain, _, _ = remove_background(field, clip_sigma=np.inf, max_iter=1)
    robust, _, info = remove_background(field, pixel_size_m=sample.pixel_size_m)
    assert _relative_error(plain, sample) > 0.10
    assert _relative_error(robust, sample) < 0.05
    assert info["converged"]
    assert not info["used"][:90, :90].all()  # the crowded corner was left out


def test_higher_order_surface_is_recovered_exactly_without_cells():
    x, y = np.meshgrid(np.linspace(-1, 1, 64), np.linspace(-1, 1, 48))
    surface = 30e-3 + 1e-6 * (x - 2 * y + x**3 - 0.5 * x * y**2)
    background, _, info = remove_background(surface, order=3)
    np.testing.assert_allclose(background, surface, rtol=0, atol=1e-15)
    assert len(info["terms"]) == 10 and info["terms"][0] == (0, 0)


def test_unknown_pixels_are_ignored():
    sample = VirtualSample(n_rows=64, n_cols=64, cells=random_cells(2, 5, n_rows=64, n_cols=64))
    field = _noisy_map(sample, 1)
    field[10:20, 30:40] = np.nan
    background, residual, info = remove_background(field, pixel_size_m=sample.pixel_size_m)
    assert np.isfinite(background).all()
    assert np.isnan(residual[10:20, 30:40]).all() and not info["used"][10:20, 30:40].any()


def test_dilation_grows_by_a_disk():
    spot = np.zeros((9, 9), dtype=bool)
    spot[4, 4] = True
    grown = dilate(spot, 2)
    assert grown.sum() == 13  # the lattice points within distance 2
    assert grown[4, 2] and grown[2, 4] and not grown[2, 2]


def test_a_disk_larger_than_the_map_covers_it_without_wrapping():
    """A small region of interest with a large dilation radius (12 px for 1 um pixels) once wrapped negative
    slices round and failed (or marked the wrong side)."""
    spot = np.zeros((12, 10), dtype=bool)
    spot[0, 0] = True
    grown = dilate(spot, 12)
    rows, cols = np.indices(spot.shape)
    np.testing.assert_array_equal(grown, rows**2 + cols**2 <= 144)
    np.testing.assert_array_equal(dilate(np.zeros((3, 2), dtype=bool), 50), np.zeros((3, 2), dtype=bool))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"b_nv_map_t": np.zeros(10)}, r"b_nv_map_t has shape \(10,\)"),
        ({"order": -1}, "order = -1"),
        ({"mask": np.ones((3, 3), dtype=bool)}, r"mask has shape \(3, 3\)"),
        ({"clip_sigma": 0.0}, "clip_sigma = 0.0"),
        ({"b_nv_map_t": np.full((8, 8), np.nan)}, "only 0 usable pixels"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"b_nv_map_t": np.zeros((16, 16)), **kwargs}
    with pytest.raises(ValueError, match=match):
        remove_background(**args)


def test_polynomial_terms_of_a_quadratic():
    assert polynomial_terms(2) == [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
