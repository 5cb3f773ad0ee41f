"""The CNN on other pixel sizes and NV azimuths: the symmetries are exact for point dipoles."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells.cnn_frame import cnn_frame
from analysis.cells.usable import outside_training_reason

POLAR = physics.NV_POLAR_ANGLE_DEG
CARD = {"pixel_size_m": 1.3e-6, "nv_axis": {"polar_deg": POLAR, "azimuth_deg": 45.0},
        "training_ranges": {"z_m": [5e-6, 40e-6], "iron_mass_kg": [5e-17, 2e-14]}}


def snippet(pixel_m, azimuth_deg, x_px, y_px, z_m, mass_kg):
    """32 x 32 B_NV of a point dipole whose centre is (x_px, y_px) from the reference pixel 16."""
    grid = (np.arange(32) - 16) * pixel_m
    u = physics.nv_axis(POLAR, azimuth_deg)
    moment = physics.iron_mass_to_moment_am2(mass_kg) * u
    src = np.array([[x_px * pixel_m, y_px * pixel_m, z_m]])
    return physics.projected_field_map_t(grid, grid, src, moment[None], u)


@pytest.mark.parametrize("azimuth", [45.0, 135.0, 225.0, 315.0, -45.0])
@pytest.mark.parametrize("pixel_um", [0.65, 1.3, 2.6, 3.9])
def test_snippet_maps_exactly_onto_the_trained_case(azimuth, pixel_um):
    frame = cnn_frame(CARD, pixel_um * 1e-6, POLAR, azimuth)
    s = frame.scale
    x, y, z, m = 1.3, -2.1, 12e-6 * s, 1.5e-15 * s**3
    seen = frame.to_trained(snippet(pixel_um * 1e-6, azimuth, x, y, z, m)[None])[0]
    # the trained case: the same picture at 1.3 um, azimuth 45, cell at the carried position, scaled
    trained_pred = {"x_px": np.zeros(1), "y_px": np.zeros(1), "z_m": np.array([12e-6]),
                    "diameter_m": np.array([10e-6]), "iron_mass_kg": np.array([1.5e-15])}
    # the carried position (about the array centre 15.5, not the reference pixel 16)
    xy = frame.matrix @ np.array([x + 0.5, y + 0.5]) - 0.5
    expected = snippet(1.3e-6, 45.0, xy[0], xy[1], 12e-6, 1.5e-15)
    np.testing.assert_allclose(seen, expected, atol=1e-9 * np.abs(expected).max())
    trained_pred["x_px"][:], trained_pred["y_px"][:] = xy
    out = frame.to_map(trained_pred)
    assert (out["x_px"][0], out["y_px"][0]) == pytest.approx((x, y), abs=1e-12)
    assert out["z_m"][0] == pytest.approx(z)
    assert out["iron_mass_kg"][0] == pytest.approx(m)
    assert out["diameter_m"][0] == pytest.approx(10e-6 * s)


def test_native_case_is_the_identity():
    frame = cnn_frame(CARD, 1.3e-6, POLAR, 45.0)
    assert frame.is_native
    assert not cnn_frame(CARD, 2.6e-6, POLAR, 45.0).is_native


@pytest.mark.parametrize(("polar", "azimuth", "words"), [
    (90.0, 45.0, "polar angle 90 deg is not"), (POLAR, 0.0, "azimuth 0 deg"), (POLAR, 60.0, "azimuth 60 deg")])
def test_no_symmetry_gives_a_reason(polar, azimuth, words):
    reason = cnn_frame(CARD, 1.3e-6, polar, azimuth)
    assert isinstance(reason, str) and words in reason


def test_scaled_cell_outside_the_training_ranges():
    scale = cnn_frame(CARD, 3.9e-6, POLAR, 45.0).scale  # lengths / 3 at the trained pixel
    ranges = CARD["training_ranges"]
    reason = outside_training_reason(ranges, 9e-6, 1e-6, 5e-15, 1e-16, scale)
    assert reason.startswith("height 3 um (scaled to the CNN's pixel, x0.333 in length) outside")
    assert outside_training_reason(ranges, 30e-6, 1e-6, 5e-15, 1e-16, scale) == ""  # 10 um, 0.19 pg: inside
    assert "iron mass" in outside_training_reason(ranges, 30e-6, 1e-6, 1e-15, 1e-16, scale)  # 0.037 pg
