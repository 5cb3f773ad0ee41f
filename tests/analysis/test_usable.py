"""The usable verdict: genuine cells in ordinary fields are usable (strong ones too), garbage is not."""

import numpy as np
import pytest

from analysis import physics
from analysis.cells import analyze_field_map, default_model_path
from analysis.cells.usable import usable_verdict
from analysis.session import read_session, write_cells
from analysis.session.cells import OLDER_FILE_REASON
from tests.analysis.test_session_roundtrip import make_session

PIXEL_M = 1.3e-6
needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="the CNN model is not committed")


def _field(noise_t, seed, n_side=4, spacing_px=48, extra=()):
    """n_side^2 random-cluster cells on a grid (neighbours >= 62 um apart), 0.5-8 pg, z 8-25 um."""
    rng = np.random.default_rng(seed)
    size = spacing_px * n_side + 16
    cells = []
    for i in range(n_side):
        for j in range(n_side):
            d = rng.uniform(8e-6, 16e-6)
            cells.append(physics.LabelledCell((32 + spacing_px * j + rng.uniform(-3, 3)) * PIXEL_M,
                                              (32 + spacing_px * i + rng.uniform(-3, 3)) * PIXEL_M,
                                              max(rng.uniform(8e-6, 25e-6), d / 2), d,
                                              np.exp(rng.uniform(np.log(0.5e-15), np.log(8e-15))),
                                              n_clusters=int(rng.integers(20, 200)),
                                              cluster_seed=int(seed * 100 + i * 10 + j)))
    cells += list(extra)
    x, y = physics.pixel_coordinates_m(size, size, PIXEL_M)
    clean = physics.cells_b_nv_map_t(cells, x, y, physics.nv_axis())
    return clean + noise_t * rng.standard_normal(clean.shape), cells


def test_rules_in_order():
    kw = {"converged": np.array([True, False, True, True, True, True]), "snr": np.array([20, 20, 5, 20, 20, 80.0]),
          "min_snr": 8.0, "noise_t": 30e-9, "z_m": np.array([15e-6, 15e-6, 15e-6, 60e-6, 15e-6, 15e-6]),
          "z_err_m": np.full(6, 1e-6), "iron_mass_kg": np.full(6, 2e-15), "iron_mass_err_kg": np.full(6, 2e-16),
          "ranges": {"z_m": [5e-6, 40e-6], "iron_mass_kg": [5e-17, 2e-14]},
          "disagree": np.array([False, False, False, False, True, True])}
    usable, reasons = usable_verdict(**kw)
    assert usable.tolist() == [True, False, False, False, False, True]  # a strong cell's disagreement is mismatch
    assert reasons[0] == "ok" and "did not converge" in reasons[1] and "5.0 sigma" in reasons[2]
    assert reasons[3].startswith("height 60 um outside") and "disagree" in reasons[4]
    usable, reasons = usable_verdict(**{**kw, "steps_done": 9, "steps_planned": 120})
    assert not usable.any() and all(r.startswith("map fitted from 9 of 120 planned steps") for r in reasons)
    usable, reasons = usable_verdict(**{**kw, "at_bound": np.array([True] + [False] * 5)})
    assert not usable[0] and reasons[0].startswith("the refinement ended on a bound (z 15 um, 2 pg")
    usable, reasons = usable_verdict(**{**kw, "noise_t": 40e-6})
    assert not usable.any() and "40 uT per pixel" in reasons[0]


@needs_model
@pytest.mark.slow
@pytest.mark.parametrize(("noise_t", "seed"), [(20e-9, 1), (100e-9, 2)])
def test_genuine_cells_in_ordinary_fields_are_usable(noise_t, seed):
    field, cells = _field(noise_t, seed)
    results = analyze_field_map(field, PIXEL_M, positions_px=[(c.y_m / PIXEL_M, c.x_m / PIXEL_M) for c in cells],
                                noise_t=noise_t)
    stands_out = [r for r in results if r.snr >= 8.0]
    fraction = np.mean([r.usable for r in stands_out])
    assert fraction >= 0.9, [r.usable_reason for r in stands_out if not r.usable]


@needs_model
def test_a_strong_close_cell_with_model_mismatch_stays_usable():
    cell = physics.LabelledCell(40 * PIXEL_M, 40 * PIXEL_M, 8e-6, 14e-6, 8e-15, n_clusters=30, cluster_seed=7)
    x, y = physics.pixel_coordinates_m(80, 80, PIXEL_M)
    field = physics.cells_b_nv_map_t([cell], x, y, physics.nv_axis())
    field = field + 10e-9 * np.random.default_rng(3).standard_normal(field.shape)
    (result,) = analyze_field_map(field, PIXEL_M, positions_px=[(40.0, 40.0)], noise_t=10e-9)
    assert "RESIDUAL_INCONSISTENT" in result.flag_names  # the point dipole misses the clusters ...
    assert result.usable, result.usable_reason  # ... and the cell is still a good measurement


@needs_model
def test_a_runaway_physics_fit_is_not_usable():
    # a close cell at coarse pixels: scaled below the CNN's heights, the point dipole alone collapses
    p = 2.6e-6
    cell = physics.LabelledCell(40.3 * p, 40.6 * p, 8e-6, 15e-6, 1e-15, n_clusters=100, cluster_seed=1)
    x, y = physics.pixel_coordinates_m(80, 80, p)
    noise = 50e-9 * np.random.default_rng(0).standard_normal((80, 80))
    field = physics.cells_b_nv_map_t([cell], x, y, physics.nv_axis()) + noise
    (result,) = analyze_field_map(field, p, positions_px=[(41.0, 40.0)], noise_t=50e-9)
    # usable means measured: here the fit collapses (0.2 pg at 2 um), and says it is not usable
    assert not result.usable or abs(result.iron_mass_g * 1e-3 / 1e-15 - 1) < 0.5
    assert not result.usable and "outside the CNN's training range" in result.usable_reason


@needs_model
def test_a_click_on_a_noisy_live_map_is_not_usable():
    rng = np.random.default_rng(5)
    field = 40e-6 * rng.standard_normal((80, 80))  # a map fitted from 9 steps: +-40 uT
    (result,) = analyze_field_map(field, PIXEL_M, positions_px=[(40.0, 40.0)], noise_t=None, steps_done=9,
                                  steps_planned=120)
    assert not result.usable and "uT per pixel" in result.usable_reason
    clean = 30e-9 * rng.standard_normal((80, 80))
    (result,) = analyze_field_map(clean, PIXEL_M, positions_px=[(40.0, 40.0)], noise_t=30e-9, steps_done=9,
                                  steps_planned=120)
    assert not result.usable and result.usable_reason.startswith("map fitted from 9 of 120")


def test_older_cell_tables_read_as_usable_not_assessed(tmp_path):
    path, _ = make_session(tmp_path / "s.h5")
    write_cells(path, [{"row_px": 1.0, "col_px": 2.0, "iron_mass_g": 1e-12}])
    table = read_session(path).cells
    assert table.columns["usable"].tolist() == [True]
    assert table.columns["usable_reason"].tolist() == [OLDER_FILE_REASON]
