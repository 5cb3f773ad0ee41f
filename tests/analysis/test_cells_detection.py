"""Detection of cells in simulated field maps: matched filter, verification by deblended fits, edges."""

import dataclasses

import numpy as np
import pytest

from analysis import physics
from analysis.cells import analyze_field_map, detect_cells, flags, map_noise_t
from analysis.cells.snippets import cut_snippets
from instruments.virtual_microscope.sample import random_cells

SIM_AZIMUTH_DEG = physics.DEFAULT_NV_AZIMUTH_DEG
"""The NV azimuth the maps here are simulated with (``physics.nv_axis``'s default)."""

PIXEL_M = 1.3e-6
NOISE_T = 50e-9
SIZE = 192


def _field(cells, seed, noise_t=NOISE_T, size=SIZE):
    x, y = physics.pixel_coordinates_m(size, size, PIXEL_M)
    clean = physics.cells_b_nv_map_t(list(cells), x, y, physics.nv_axis())
    return clean + noise_t * np.random.default_rng(seed).standard_normal(clean.shape)


def _match(results, cells):
    truth = np.array([[c.y_m / PIXEL_M, c.x_m / PIXEL_M] for c in cells])
    found = np.array([[r.row_px, r.col_px] for r in results]).reshape(-1, 2)
    dist = np.hypot(*(found[:, None, :] - truth[None]).transpose(2, 0, 1))
    return dist.min(axis=1), dist.min(axis=0)


def test_noise_estimate_ignores_the_cells():
    m = _field(random_cells(12, 3, n_rows=SIZE, n_cols=SIZE, min_separation_m=40e-6), 3)
    # second differences: the cells' smooth fields barely count; MAD of ~70 000 values is good to ~1 %
    assert map_noise_t(m) == pytest.approx(NOISE_T, rel=0.05)


def test_pure_noise_gives_no_detections():
    noise = NOISE_T * np.random.default_rng(11).standard_normal((SIZE, SIZE))
    # 5 templates x 37 000 pixels at a 6 sigma threshold: expected false alarms ~ 2e5 x 1e-9
    assert detect_cells(noise, PIXEL_M, NOISE_T, nv_azimuth_deg=SIM_AZIMUTH_DEG) == []
    assert analyze_field_map(noise, PIXEL_M, noise_t=NOISE_T, model=False, nv_azimuth_deg=SIM_AZIMUTH_DEG) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_detection_finds_every_cell_of_a_field_and_nothing_else(seed):
    cells = random_cells(12, seed, n_rows=SIZE, n_cols=SIZE, min_separation_m=45e-6)
    # uniform labelling: the cell centre is the dipole centre (random clusters move the dipole by ~1 px)
    cells = [dataclasses.replace(c, layout="uniform", n_clusters=200) for c in cells]
    results = analyze_field_map(_field(cells, seed), PIXEL_M, noise_t=NOISE_T, model=False,
                                nv_azimuth_deg=SIM_AZIMUTH_DEG)
    nearest_truth, nearest_found = _match(results, cells)
    peak_snr = np.array([physics.peak_b_nv_t(c.moment_am2, c.z_m) for c in cells]) / NOISE_T
    assert peak_snr.min() > 4  # all cells have a peak SNR of 4 or more (seed 0 has some at 5-6) ...
    assert np.all(nearest_found < 1.0)  # ... is found, within a pixel of its centre ...
    assert len(results) == len(cells)  # ... and nothing else is
    assert np.all(nearest_truth < 1.0)


def test_random_cluster_cells_are_found_within_two_pixels():
    cells = random_cells(12, 5, n_rows=SIZE, n_cols=SIZE, min_separation_m=45e-6)
    results = analyze_field_map(_field(cells, 5), PIXEL_M, noise_t=NOISE_T, model=False, nv_azimuth_deg=SIM_AZIMUTH_DEG)
    nearest_truth, nearest_found = _match(results, cells)
    assert len(results) == len(cells)
    # the dipole centre of 20-120 random clusters on a 12 um membrane lies ~1 um from the cell centre
    assert np.all(nearest_found < 2.0)


def test_cell_at_the_edge_is_padded_flagged_and_not_shifted():
    cell = physics.LabelledCell(8.3 * PIXEL_M, 60.4 * PIXEL_M, 14e-6, 12e-6, 1.5e-15, n_clusters=200,
                                layout="uniform")
    m = _field([cell], 7, size=128)
    (result,) = analyze_field_map(m, PIXEL_M, positions_px=[(60.0, 8.0)], noise_t=NOISE_T, model=False,
                                  nv_azimuth_deg=SIM_AZIMUTH_DEG)
    assert result.flag & flags.AT_EDGE and "AT_EDGE" in result.flag_names
    assert (result.snippet_row, result.snippet_col) == (60, 8)  # the snippet is centred where asked
    assert np.isnan(result.measured_t[:, :8]).all() and np.isfinite(result.measured_t[:, 8:]).all()
    assert abs(result.col_px - 8.3) < 0.3 and abs(result.row_px - 60.4) < 0.3
    assert abs(result.iron_mass_g * 1e-3 - 1.5e-15) < 4 * result.iron_mass_g_err * 1e-3


def test_cut_snippets_pads_with_the_local_median():
    m = np.arange(100.0).reshape(10, 10)
    snippets, valid, at_edge = cut_snippets(m, [2], [3])
    assert at_edge[0] and valid[0].sum() == 100  # the whole 10 x 10 map lies inside the snippet
    assert snippets[0, 16, 16] == m[2, 3]  # reference pixel 16 is the requested one
    assert snippets[0, 0, 0] == np.median(m[0:10, 0:10])
