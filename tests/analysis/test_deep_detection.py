"""Auto-detection reports no dipole fitted deeper than ``MAX_DETECTED_Z_M`` (35 um): through the ODMR fit, smooth
residuals of the background removal fitted as weak dipoles 34-41 um deep (``models.pipeline_study_accuracy``)."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import analyze_field_map
from analysis.cells.deblend import MAX_DETECTED_Z_M

PIXEL_M = 1.3e-6


def _map(z_m, peak_sigmas, noise_t=20e-9, n=128, seed=3):
    x, y = physics.pixel_coordinates_m(n, n, PIXEL_M)
    u = physics.nv_axis(physics.NV_POLAR_ANGLE_DEG, 45.0)
    centre = [x[n // 2], y[n // 2], z_m]
    unit = physics.projected_field_map_t(x, y, [centre], [u], u)
    m = unit * (peak_sigmas * noise_t / np.max(np.abs(unit)))
    return m + noise_t * np.random.default_rng(seed).standard_normal(m.shape)


@pytest.mark.parametrize("z_um, found", [(28.0, True), (42.0, False)])
def test_deep_dipoles_are_not_reported(z_um, found):
    # 10 sigma peak: far above the detection threshold either way, so only the depth decides
    results = analyze_field_map(_map(z_um * 1e-6, 10.0), PIXEL_M, model=False, nv_azimuth_deg=45.0)
    assert len(results) == int(found)
    if found:
        assert results[0].z_m == pytest.approx(z_um * 1e-6, abs=3e-6)
        assert results[0].z_m <= MAX_DETECTED_Z_M


def test_given_positions_are_fitted_at_any_depth():
    # a click on the map is the user's choice: it is fitted, however deep
    m = _map(42e-6, 10.0)
    results = analyze_field_map(m, PIXEL_M, positions_px=[(64, 64)], model=False, nv_azimuth_deg=45.0)
    assert len(results) == 1 and results[0].z_m > MAX_DETECTED_Z_M
