"""Speed of the cell analysis (issue 5 targets: CNN <= 1 ms per snippet in batches on 2 cores, refinement
<= 20 ms per cell, a 256 x 256 field of view with 100 cells analysed in under 3 s).

Run: ``.venv/bin/python -m benchmarks.bench_cells [--model PATH]``. Prints the machine, then:
- CNN: ``CellCNN.predict`` on batches of 256 simulated snippets (onnxruntime, 2 intra-op threads);
- refinement per cell: ``refine_snippets`` as the accuracy report runs it (hybrid, up to 3 neighbours modelled,
  quadratic background) on 256 held-out-like snippets, and as ``analyze_field_map`` runs it (neighbours
  already subtracted, plane background);
- a field of view: 256 x 256 pixels of 1.3 um, 100 random-cluster cells (``random_cells``, 22 um apart at
  least), 50 nT noise: candidates (matched filter), detection verified by deblended fits, and the whole
  ``analyze_field_map`` (detection + CNN + hybrid refinement), and one given cell (``positions_px``: the
  map's noise estimated, up to ``GIVEN_POSITION_NEIGHBOURS`` unknown neighbours modelled in its snippet),
  median of 3 runs after a warm-up.
"""

import argparse
import time

import numpy as np

from analysis import physics
from analysis.cells import CellCNN, analyze_field_map, detect_cells, refine_snippets
from analysis.cells.cnn_errors import cnn_sigmas
from analysis.cells.deblend import detect_and_fit
from benchmarks.machine import describe_machine
from instruments.virtual_microscope.sample import random_cells
from models.training_data import DEFAULT_RECIPE, generate_snippets

BATCH = 256
PIXEL_M = DEFAULT_RECIPE.pixel_size_m
NOISE_T = 50e-9
FIELD_CELLS = 100
FIELD_SIZE = 256
AXIS = physics.DEFAULT_NV_AZIMUTH_DEG
"""The NV azimuth the field of view is simulated with (``physics.nv_axis()``'s)."""


def median_seconds(fn, repeats):
    fn()  # warm up (numba compilation, onnxruntime allocation)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def field_of_view(seed=3):
    cells = random_cells(FIELD_CELLS, seed, n_rows=FIELD_SIZE, n_cols=FIELD_SIZE, pixel_size_m=PIXEL_M,
                         min_separation_m=22e-6)
    x, y = physics.pixel_coordinates_m(FIELD_SIZE, FIELD_SIZE, PIXEL_M)
    clean = physics.cells_b_nv_map_t(list(cells), x, y, physics.nv_axis())
    return cells, clean + NOISE_T * np.random.default_rng(seed).standard_normal(clean.shape)


def main(argv=None):
    parser = argparse.ArgumentParser(description="speed of the cell analysis")
    parser.add_argument("--model", default=None, help="ONNX file (default: the committed model)")
    args = parser.parse_args(argv)
    cnn = CellCNN(args.model)
    print(f"machine: {describe_machine()}; model {cnn.identity()['sha256'][:12]}")

    snippets, _ = generate_snippets(BATCH, seed=7, noise_sigma_t=NOISE_T)
    t = median_seconds(lambda: cnn.predict(snippets, pixel_size_m=PIXEL_M), 20)
    print(f"CNN, batches of {BATCH}: {1e3 * t / BATCH:.3f} ms/snippet (target <= 1 ms)")

    pred = cnn.predict(snippets, pixel_size_m=PIXEL_M)
    sigma = cnn_sigmas(cnn.card, pred, NOISE_T)
    t = median_seconds(lambda: refine_snippets(snippets, pred, PIXEL_M, NOISE_T, start_sigma=sigma,
                                               start_diameter_m=pred["diameter_m"], background_order=2,
                                               max_neighbours=3, nv_azimuth_deg=AXIS), 3)
    print(f"refinement, held-out snippets (hybrid, <= 3 neighbours modelled): {1e3 * t / BATCH:.2f} ms/cell "
          "(target <= 20 ms)")
    t = median_seconds(lambda: refine_snippets(snippets, pred, PIXEL_M, NOISE_T, start_sigma=sigma,
                                               start_diameter_m=pred["diameter_m"], max_neighbours=0,
                                               nv_azimuth_deg=AXIS), 3)
    print(f"refinement as in analyze_field_map (neighbours subtracted): {1e3 * t / BATCH:.2f} ms/cell")

    cells, field = field_of_view()
    t_cand = median_seconds(lambda: detect_cells(field, PIXEL_M, NOISE_T, nv_azimuth_deg=AXIS), 3)
    t_det = median_seconds(lambda: detect_and_fit(field, PIXEL_M, NOISE_T, detection_snr=6.0, nv_azimuth_deg=AXIS), 3)
    results = analyze_field_map(field, PIXEL_M, noise_t=NOISE_T, model=cnn, nv_azimuth_deg=AXIS)
    t_all = median_seconds(lambda: analyze_field_map(field, PIXEL_M, noise_t=NOISE_T, model=cnn,
                                                     nv_azimuth_deg=AXIS), 3)
    t_est = median_seconds(lambda: analyze_field_map(field, PIXEL_M, model=cnn, nv_azimuth_deg=AXIS), 3)
    print(f"field of view {FIELD_SIZE} x {FIELD_SIZE}, {len(cells)} cells, {len(results)} analysed: "
          f"candidates {t_cand:.2f} s, detection + deblending {t_det:.2f} s, analyze_field_map {t_all:.2f} s "
          f"({t_est:.2f} s with the noise estimated) (target < 3 s)")
    first = (int(round(results[0].row_px)), int(round(results[0].col_px)))
    t_one = median_seconds(lambda: analyze_field_map(field, PIXEL_M, positions_px=[first], model=cnn,
                                                     nv_azimuth_deg=AXIS), 3)
    print(f"one clicked cell, analyze_field_map(positions_px=[{first}]), noise estimated: {t_one:.2f} s")


if __name__ == "__main__":
    main()
