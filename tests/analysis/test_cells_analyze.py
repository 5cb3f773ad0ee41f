"""analyze_field_map: the public per-cell API (given positions, normalised field, bad inputs, with the CNN)."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import analyze_field_map, default_model_path, flags
from analysis.session.cells import cell_columns, cell_units

PIXEL_M = 1.3e-6
NOISE_T = 50e-9
SIZE = 128
HAVE_MODEL = default_model_path().is_file()
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="the trained CNN model is not committed yet")

CELLS = (
    physics.LabelledCell(40.2 * PIXEL_M, 45.7 * PIXEL_M, 12e-6, 11e-6, 1.2e-15, n_clusters=200, layout="uniform"),
    physics.LabelledCell(90.6 * PIXEL_M, 80.1 * PIXEL_M, 20e-6, 14e-6, 3.0e-15, n_clusters=200, layout="uniform"),
)


@pytest.fixture(scope="module")
def field_map():
    x, y = physics.pixel_coordinates_m(SIZE, SIZE, PIXEL_M)
    clean = physics.cells_b_nv_map_t(list(CELLS), x, y, physics.nv_axis())
    return clean + NOISE_T * np.random.default_rng(42).standard_normal(clean.shape)


@pytest.fixture(scope="module")
def physics_results(field_map):
    positions = [(c.y_m / PIXEL_M + 0.6, c.x_m / PIXEL_M - 0.8) for c in CELLS]  # a click is never exact
    return analyze_field_map(field_map, PIXEL_M, positions_px=positions, noise_t=NOISE_T, model=False)


def test_one_result_per_given_position_in_order(physics_results):
    assert len(physics_results) == len(CELLS)
    for result, cell in zip(physics_results, CELLS, strict=True):
        assert abs(result.row_px - cell.y_m / PIXEL_M) < 4 * result.row_px_err + 0.05
        assert abs(result.col_px - cell.x_m / PIXEL_M) < 4 * result.col_px_err + 0.05
        assert abs(result.z_m - cell.z_m) < 4 * result.z_m_err
        # the public unit is the gram: 1.2 pg = 1.2e-12 g
        assert abs(result.iron_mass_g - cell.iron_mass_kg * 1e3) < 4 * result.iron_mass_g_err
        assert 0.5 < result.reduced_chi2 < 1.5
        assert result.measured_t.shape == result.reconstructed_t.shape == result.residual_t.shape == (32, 32)
        np.testing.assert_allclose(result.measured_t - result.reconstructed_t, result.residual_t, atol=1e-15)
        assert result.flag & flags.NO_CNN and np.isnan(result.diameter_m)


def test_records_go_into_the_session_cell_table(physics_results):
    records = [r.record() for r in physics_results]
    columns = cell_columns(records)
    units = cell_units(columns, None)
    assert units["iron_mass_g"] == "g" and units["z_m_err"] == "m" and units["cnn_iron_mass_kg"] == "kg"
    assert units["snippet_row_px"] == "pixel" and units["flag"] == "1" and units["snr"] == "1"
    assert list(columns["model_sha256"]) == ["", ""] and np.isnan(columns["cnn_z_m"]).all()
    assert records[0]["flag_names"] == "|".join(physics_results[0].flag_names)


def test_normalised_field_matches_physics_within_its_error(physics_results):
    for result, cell in zip(physics_results, CELLS, strict=True):
        expected = physics.normalised_field_t(cell.iron_mass_kg)
        assert result.normalised_field_t == pytest.approx(physics.normalised_field_t(result.iron_mass_g * 1e-3))
        assert abs(result.normalised_field_t - expected) < 4 * result.normalised_field_t_err
        # linear in the mass: the relative errors agree
        assert result.normalised_field_t_err / result.normalised_field_t == pytest.approx(
            result.iron_mass_g_err / result.iron_mass_g, rel=1e-9)


def test_reference_cell_is_a_setting(field_map):
    (near,) = analyze_field_map(field_map, PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T, model=False,
                                reference_z_m=10e-6)
    (default,) = analyze_field_map(field_map, PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T, model=False)
    # a point dipole's peak falls as z^-3: (15 / 10)^3
    assert near.normalised_field_t / default.normalised_field_t == pytest.approx(1.5**3, rel=1e-9)


def test_bad_inputs_give_clear_errors(field_map):
    broken = field_map.copy()
    broken[10, 10] = np.nan
    with pytest.raises(ValueError, match="1 NaN or inf pixels"):
        analyze_field_map(broken, PIXEL_M, model=False)
    with pytest.raises(ValueError, match="outside the 128 x 128 map"):
        analyze_field_map(field_map, PIXEL_M, positions_px=[(10, 200)], model=False)
    with pytest.raises(ValueError, match="2-D"):
        analyze_field_map(field_map[0], PIXEL_M, model=False)
    with pytest.raises(ValueError, match="pixel size"):
        analyze_field_map(field_map, -1.0, model=False)
    with pytest.raises(ValueError, match="noise"):
        analyze_field_map(field_map, PIXEL_M, noise_t=0.0, model=False)


@needs_model
def test_another_pixel_size_is_the_same_map_of_a_scaled_cell(field_map):
    # B(2 r; 8 m) = B(r; m): the same map read at 2.6 um pixels is cells twice as far and 8x as heavy
    native = analyze_field_map(field_map, PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T)[0]
    double = analyze_field_map(field_map, 2 * PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T)[0]
    assert not double.flag & flags.NO_CNN and double.cnn_note == ""
    assert double.z_m / native.z_m == pytest.approx(2.0, rel=2e-3)
    assert double.iron_mass_g / native.iron_mass_g == pytest.approx(8.0, rel=5e-3)
    assert double.diameter_m / native.diameter_m == pytest.approx(2.0, rel=1e-3)
    assert (double.row_px, double.col_px) == pytest.approx((native.row_px, native.col_px), abs=2e-3)


@needs_model
def test_a_rotated_camera_gives_the_same_cell(field_map):
    # the map rotated by 90 degrees (np.rot90: row' = 127 - col, col' = row) with its NV axis rotated too
    native = analyze_field_map(field_map, PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T)[0]
    rotated = analyze_field_map(np.rot90(field_map), PIXEL_M, positions_px=[(127 - 40.2, 45.7)], noise_t=NOISE_T,
                                nv_azimuth_deg=-45.0)[0]
    assert not rotated.flag & flags.NO_CNN
    assert rotated.z_m == pytest.approx(native.z_m, rel=0.02)
    assert rotated.iron_mass_g == pytest.approx(native.iron_mass_g, rel=0.03)
    assert (rotated.row_px, rotated.col_px) == pytest.approx((127 - native.col_px, native.row_px), abs=0.05)


@needs_model
def test_an_axis_no_symmetry_reaches_falls_back_to_physics_with_the_reason(field_map):
    (result,) = analyze_field_map(field_map, PIXEL_M, positions_px=[(45.7, 40.2)], noise_t=NOISE_T,
                                  nv_azimuth_deg=30.0)
    assert result.flag & flags.NO_CNN and "azimuth 30 deg" in result.cnn_note


@needs_model
def test_with_the_cnn_every_attribute_is_filled(field_map):
    results = analyze_field_map(field_map, PIXEL_M, noise_t=NOISE_T)
    assert len(results) == len(CELLS)
    for result in results:
        assert not result.flag & flags.NO_CNN
        assert np.isfinite(result.diameter_m) and result.diameter_m_err > 0
        assert result.model_identity["sha256"] and set(result.cnn) >= {"z_m", "diameter_m", "iron_mass_kg"}
    for cell in CELLS:
        best = min(results, key=lambda r: np.hypot(r.row_px - cell.y_m / PIXEL_M, r.col_px - cell.x_m / PIXEL_M))
        assert abs(best.iron_mass_g * 1e-3 / cell.iron_mass_kg - 1) < 0.15
        assert abs(best.z_m - cell.z_m) < 2e-6
