"""A map with pixels much finer than the CNN's is binned to about the CNN's pixel; positions come back."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import analyze_field_map, default_model_path
from analysis.cells.resample import bin_factor, bin_map, to_binned_px

needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="the CNN model is not committed")


def test_bin_factor_and_pixel_centres():
    assert bin_factor(0.65e-6, 1.3e-6) == 2 and bin_factor(0.43e-6, 1.3e-6) == 3
    assert bin_factor(1.0e-6, 1.3e-6) == 1 and bin_factor(2.6e-6, 1.3e-6) == 1
    m = np.arange(36.0).reshape(6, 6)
    assert bin_map(m, 2)[0, 0] == pytest.approx(np.mean([0, 1, 6, 7]))
    # binned pixel 0 is centred on map pixel 0.5; binned 2 on map 4.5
    np.testing.assert_allclose(to_binned_px([[0.5, 4.5]], 2), [[0.0, 2.0]])


@needs_model
def test_a_fine_map_is_binned_and_the_cell_measured():
    p = 0.65e-6
    cell = physics.LabelledCell(80.3 * p, 70.6 * p, 15e-6, 12e-6, 2e-15, n_clusters=200, layout="uniform")
    x, y = physics.pixel_coordinates_m(160, 160, p)
    noise = 40e-9
    m = physics.cells_b_nv_map_t([cell], x, y, physics.nv_axis()) + noise * np.random.default_rng(1).standard_normal(
        (160, 160))
    (r,) = analyze_field_map(m, p, positions_px=[(71.0, 80.0)], noise_t=noise)
    assert "binned 2 x 2 to 1.3 um" in r.cnn_note and "NO_CNN" not in r.flag_names
    # one sigma of a uniform cell at ~30 sigma peak SNR: a few per cent, a few tenths of a micrometre
    assert r.iron_mass_g * 1e-3 == pytest.approx(2e-15, rel=0.1)
    assert r.z_m == pytest.approx(15e-6, abs=1.5e-6)
    assert (r.row_px, r.col_px) == pytest.approx((70.6, 80.3), abs=0.6)  # map pixels of 0.65 um
