"""Dipole fields, the labelled-cell forward model and DESIGN's worked example."""

import math

import numpy as np
import pytest

from analysis import physics


def test_point_dipole_on_its_axis_matches_closed_form():
    # On the moment's own axis B = mu0/(4 pi) * 2 m / r^3, parallel to m.
    m = np.array([0.0, 0.0, 1e-13])
    z = 15e-6
    b = physics.dipole_field_t([0.0, 0.0, 0.0], [[0.0, 0.0, z]], [m])
    assert b == pytest.approx([0.0, 0.0, 1e-7 * 2 * 1e-13 / z**3], rel=1e-12, abs=1e-20)


def test_point_dipole_off_axis_matches_closed_form():
    # In the equatorial plane B = -mu0/(4 pi) m / r^3; at a general point compare with the textbook formula.
    m = np.array([0.0, 0.0, 1e-13])
    b_eq = physics.dipole_field_t([10e-6, 0.0, 5e-6], [[0.0, 0.0, 5e-6]], [m])
    assert b_eq == pytest.approx([0.0, 0.0, -1e-7 * 1e-13 / (10e-6) ** 3], rel=1e-12, abs=1e-20)
    # general point: B_r = mu0/4pi 2 m cos(t)/r^3, B_t = mu0/4pi m sin(t)/r^3
    r_vec = np.array([3e-6, 4e-6, -12e-6])
    r = np.linalg.norm(r_vec)
    cos_t = r_vec[2] / r
    b = physics.dipole_field_t(r_vec + [0, 0, 12e-6], [[0.0, 0.0, 12e-6]], [m])
    b_r = float(b @ r_vec / r)
    assert b_r == pytest.approx(1e-7 * 2 * 1e-13 * cos_t / r**3, rel=1e-12)
    b_perp = np.linalg.norm(b - b_r * r_vec / r)
    assert b_perp == pytest.approx(1e-7 * 1e-13 * math.sqrt(1 - cos_t**2) / r**3, rel=1e-9)


def test_projected_grid_kernel_agrees_with_vector_field():
    u = physics.nv_axis()
    src = np.array([[20e-6, 13e-6, 9e-6], [5e-6, 30e-6, 14e-6]])
    mom = np.array([2e-14 * u, -1e-14 * u])
    x, y = physics.pixel_coordinates_m(24, 20, 1.3e-6)
    grid = physics.projected_field_map_t(x, y, src, mom, u)
    xx, yy = np.meshgrid(x, y)
    pts = np.stack([xx, yy, np.zeros_like(xx)], axis=-1)
    reference = physics.dipole_field_t(pts, src, mom) @ u
    np.testing.assert_allclose(grid, reference, rtol=1e-9, atol=1e-18)


def test_uniformly_labelled_sphere_is_a_point_dipole_within_one_percent():
    u = physics.nv_axis()
    sphere = physics.LabelledCell(40e-6, 40e-6, 12e-6, 16e-6, 2e-15, n_clusters=4000, layout="uniform")
    point = physics.LabelledCell(40e-6, 40e-6, 12e-6, 16e-6, 2e-15, n_clusters=1, layout="uniform")
    x, y = physics.pixel_coordinates_m(62, 62, 1.3e-6)
    b_sphere = physics.cells_b_nv_map_t([sphere], x, y, u)
    b_point = physics.projected_field_map_t(x, y, [[40e-6, 40e-6, 12e-6]], [point.moment_am2 * u], u)
    assert np.max(np.abs(b_sphere - b_point)) < 0.01 * np.max(np.abs(b_point))


def test_random_clusters_differ_from_point_dipole_for_a_close_cell():
    # The random membrane labelling is what makes the diameter visible at all.
    u = physics.nv_axis()
    cell = physics.LabelledCell(30e-6, 30e-6, 8e-6, 14e-6, 1e-15, n_clusters=12, cluster_seed=3)
    x, y = physics.pixel_coordinates_m(46, 46, 1.3e-6)
    b_cell = physics.cells_b_nv_map_t([cell], x, y, u)
    b_point = physics.projected_field_map_t(x, y, [[30e-6, 30e-6, 8e-6]], [cell.moment_am2 * u], u)
    assert np.max(np.abs(b_cell - b_point)) > 0.05 * np.max(np.abs(b_point))


def test_design_example_peak_field_and_lobe_ratio():
    # DESIGN: 1.75 pg Fe at z = 15 um gives a peak B_NV of about 2.7 uT; positive lobe about 1.42 x negative.
    moment = physics.iron_mass_to_moment_am2(1.75e-15)
    assert physics.peak_b_nv_t(moment, 15e-6) == pytest.approx(2.7e-6, rel=0.03)
    assert physics.lobe_ratio() == pytest.approx(1.42, abs=0.01)
    # the same numbers from a dense pixel grid (peak between pixel centres is only slightly higher)
    u = physics.nv_axis()
    x = (np.arange(161) - 80) * 0.25e-6
    grid = physics.projected_field_map_t(x, x, [[0.0, 0.0, 15e-6]], [moment * u], u)
    assert grid.max() == pytest.approx(physics.peak_b_nv_t(moment, 15e-6), rel=2e-3)
    assert grid.max() / -grid.min() == pytest.approx(physics.lobe_ratio(), rel=5e-3)


def test_moment_per_gram_of_iron():
    assert physics.IRON_MASS_PER_PARTICLE_KG * 1e3 == pytest.approx(1.567e-17, rel=1e-3)
    per_gram = physics.MOMENT_PER_IRON_MASS_AM2_PER_KG * 1e-3
    assert per_gram == pytest.approx(0.0549, rel=2e-3)
    assert physics.moment_to_iron_mass_kg(physics.iron_mass_to_moment_am2(3e-15)) == pytest.approx(3e-15)


def test_normalised_field_is_the_reference_cells_peak():
    # 1.75 pg on the reference cell (z = 15 um) is DESIGN's example again
    assert physics.normalised_field_t(1.75e-15) == pytest.approx(2.7e-6, rel=0.03)
    # scales as 1/z^3 with the reference distance, linear in mass
    assert physics.normalised_field_t(1.75e-15, reference_z_m=30e-6) == pytest.approx(
        physics.normalised_field_t(1.75e-15) / 8, rel=1e-9)
    assert physics.normalised_field_per_kg() * 2e-15 == pytest.approx(physics.normalised_field_t(2e-15))


def test_nv_axis_geometry():
    u = physics.nv_axis()
    assert np.linalg.norm(u) == pytest.approx(1.0)
    assert math.degrees(math.acos(u[2])) == pytest.approx(54.7356, abs=1e-4)
    assert u[0] == pytest.approx(u[1])  # azimuth 45 deg from +x towards +y
    assert physics.nv_axis(azimuth_deg=90.0)[0] == pytest.approx(0.0, abs=1e-15)
