"""Detection precision and recall on a small fixed-seed set of simulated fields; the wing test alone."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import default_model_path
from analysis.cells.wings import WING_FRACTION, in_a_wing
from models.detection_accuracy import score_fields

POLAR = physics.NV_POLAR_ANGLE_DEG


def test_a_weak_deep_dipole_in_a_strong_cells_wing_is_dropped():
    p = 1.3e-6
    # strong: 8 pg at 8 um; candidate 22 px away, 30 um deep, 0.3 pg; a real 1 pg cell at 15 um 40 px away
    rows, cols = np.array([50.0, 50.0, 50.0]), np.array([50.0, 72.0, 90.0])
    z, mass = np.array([8e-6, 30e-6, 15e-6]), np.array([8e-15, 0.3e-15, 1e-15])
    wing = in_a_wing(rows, cols, z, mass, p, POLAR, 45.0)
    assert wing.tolist() == [False, True, False]
    own = physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(mass[1]), z[1], POLAR)
    u = physics.nv_axis(POLAR, 45.0)
    there = abs(physics.projected_field_at_points_t([[cols[1] * p, rows[1] * p]], [[cols[0] * p, rows[0] * p, z[0]]],
                                                    [physics.iron_mass_to_moment_am2(mass[0]) * u], u)[0])
    assert own < WING_FRACTION * there


@pytest.mark.skipif(not default_model_path().is_file(), reason="the CNN model is not committed")
def test_precision_and_recall_on_a_small_fixed_seed_set():
    # 4 fields x 12 cells: a tolerance of 95 % allows ~2 false or missed cells out of ~48; the target (99 %,
    # 98 %) is measured on 20 fields by `python -m models.accuracy_report --precision --n 20 --seed 27`
    s = score_fields(range(7, 11))
    assert s["detections"] >= 40 and s["strong"] >= 40
    assert s["precision"] >= 0.95, s["false"]
    assert s["recall"] >= 0.95
