"""How well a labelling study recovers the saturation curve through the whole pipeline: simulated sweeps ->
ODMR fit -> background -> field map -> detection -> cells -> study.

    python -m models.pipeline_study_accuracy --simulate OUT [--seeds 1 2 3 --cells 24 --pairs 19200]
    python -m models.pipeline_study_accuracy SESSION.h5 ...          # sessions simulated already

``--simulate`` writes one ``nvscope simulate-study`` (the paper's five concentrations, ``--cells`` cells each,
256 x 256 pixels, 101 steps, ``--pairs`` pairs per step) per seed into OUT/seedS; the sessions of one
concentration are pooled by the study. Sessions lacking a fit or cells are analysed as ``nvscope study`` does
(``analysis.study.pipeline.analyse_session``). Each session stores its simulated cells (/truth), so the study is
computed three ways: from the usable auto-detected cells (what ``nvscope study`` reports), from the true masses
of every simulated cell, and from the true masses of the simulated cells the study counted (matched within
``MATCH_PX``). Detection is scored as in ``models.detection_accuracy``: a detection within ``MATCH_PX`` of a
true centre is true, any other false; recall over the true cells whose own peak |B_NV| stands at least
``RECALL_PEAK_SNR`` sigmas of the map's noise (``map_noise_t`` of the analysed map) out.
"""

import argparse
import os
import sys
import time

import numpy as np

from analysis import physics
from models.detection_accuracy import MATCH_PX, RECALL_PEAK_SNR
from models.study_accuracy import comparison_lines, stand_in_session

PEAK_HALF_PX = 40
"""A cell's own peak |B_NV| is looked for within +-40 px (52 um) of its centre: well past the peak at 4-35 um."""


def true_cells(session):
    """The simulated cells of a session (``LabelledCell``), its pixel size (m) and NV axis."""
    from analysis.physics.cell import LabelledCell

    if not session.truth or "cells" not in session.truth:
        raise ValueError(f"{session.path} holds no simulated truth (/truth/cells); give sessions written by "
                         "`nvscope simulate-study`.")
    sample = session.truth["sample"]
    cells = [LabelledCell(**c) for c in session.truth["cells"]]
    return cells, float(sample["pixel_size_m"]), physics.nv_axis(physics.NV_POLAR_ANGLE_DEG,
                                                                   float(sample["nv_azimuth_deg"]))


def own_peak_t(cell, shape, pixel_m, u):
    """Peak |B_NV| (T) of the cell alone on the pixel grid."""
    r0, c0 = int(round(cell.y_m / pixel_m)), int(round(cell.x_m / pixel_m))
    rows = np.arange(max(r0 - PEAK_HALF_PX, 0), min(r0 + PEAK_HALF_PX + 1, shape[0]))
    cols = np.arange(max(c0 - PEAK_HALF_PX, 0), min(c0 + PEAK_HALF_PX + 1, shape[1]))
    return float(np.max(np.abs(physics.cells_b_nv_map_t([cell], cols * pixel_m, rows * pixel_m, u))))


def score_session(session):
    """Detection and cells of one analysed simulated session: a dict with the map noise (T), each true cell's
    peak SNR and whether it was detected, the detections' match, and the records for the three studies."""
    from analysis.cells.detection import map_noise_t
    from analysis.session_cells import fill_unfitted_pixels
    from analysis.study.samples import session_cells

    cells, pixel_m, u = true_cells(session)
    field_map, _ = fill_unfitted_pixels(session.field_map["b_nv_residual_t"])
    noise = map_noise_t(field_map)
    peak_snr = np.array([own_peak_t(c, field_map.shape, pixel_m, u) for c in cells]) / noise
    truth_px = np.array([[c.y_m / pixel_m, c.x_m / pixel_m] for c in cells]).reshape(-1, 2)
    cols = session.cells.columns if session.cells is not None else {}
    det_px = np.c_[cols.get("row_px", []), cols.get("col_px", [])].astype(float).reshape(-1, 2)
    dist = np.hypot(det_px[:, None, 0] - truth_px[None, :, 0], det_px[:, None, 1] - truth_px[None, :, 1])
    det_true = dist.min(axis=1) < MATCH_PX if dist.size else np.zeros(len(det_px), dtype=bool)
    found = dist.min(axis=0) < MATCH_PX if dist.size else np.zeros(len(cells), dtype=bool)
    counted = session_cells(session)
    # which simulated cells the study counted: the nearest true cell of each counted detection within MATCH_PX
    counted_px = np.c_[counted.cell_rows_px, counted.cell_cols_px].reshape(-1, 2) if counted.n_cells else \
        np.empty((0, 2))
    d_counted = np.hypot(counted_px[:, None, 0] - truth_px[None, :, 0], counted_px[:, None, 1] - truth_px[None, :, 1])
    counted_true = sorted({int(np.argmin(d)) for d in d_counted if d.size and d.min() < MATCH_PX})
    return {"noise_t": noise, "peak_snr": peak_snr, "found": found, "detections": len(det_px),
            "true_detections": int(det_true.sum()), "counted": counted, "counted_false": int(sum(
                1 for d in d_counted if not (d.size and d.min() < MATCH_PX))),
            "true_records": [_true_record(c, pixel_m) for c in cells],
            "counted_true_records": [_true_record(cells[i], pixel_m) for i in counted_true],
            "usable_cells": int(np.count_nonzero(np.asarray(cols.get("usable", []), dtype=bool))),
            "rms_map_minus_truth_t": float(np.std(field_map - session.truth["cell_field_t"]))}


def _true_record(cell, pixel_m):
    return {"row_px": cell.y_m / pixel_m, "col_px": cell.x_m / pixel_m, "z_m": cell.z_m,
            "diameter_m": cell.diameter_m, "iron_mass_g": cell.iron_mass_kg * 1e3,
            "normalised_field_t": float(physics.normalised_field_t(cell.iron_mass_kg))}


def simulate(out, seeds, n_cells, pairs, size=(256, 256), points=101):
    """Write one default study per seed into out/seedS (existing session files are kept); the paths."""
    from app.core.study_simulation import default_samples, simulate_study

    paths = []
    for seed in seeds:
        folder = os.path.join(out, f"seed{seed}")
        samples = default_samples(seed, cells=[n_cells] * 5)
        names = [os.path.join(folder, f) for f in sorted(os.listdir(folder))] if os.path.isdir(folder) else []
        paths += names if len(names) == len(samples) else simulate_study(folder, samples, size, pairs, points, 1e-3)
    return paths


def pipeline_report(paths, pixel_m=1.3e-6):
    """Markdown: detection through the pipeline, then the study measured against both truths."""
    from analysis.session import read_session
    from analysis.study.pipeline import analyse_session
    from analysis.study.samples import concentration_of
    from analysis.study.summary import analyse_study

    by_conc, noises, rms = {}, [], []
    det = {"detections": 0, "true": 0, "strong": 0, "strong_found": 0, "counted_false": 0}
    t0 = time.perf_counter()
    for path in paths:
        analyse_session(path)
        session = read_session(path)
        s = score_session(session)
        conc = concentration_of(session)
        g = by_conc.setdefault(conc, {"measured": [], "all_true": [], "counted_true": [], "n_true": 0,
                                      "detections": 0, "not_usable": 0})
        g["measured"].append(s["counted"])
        g["all_true"] += s["true_records"]
        g["counted_true"] += s["counted_true_records"]
        g["n_true"] += len(s["true_records"])
        g["detections"] += s["detections"]
        g["not_usable"] += len(s["counted"].not_usable)
        strong = s["peak_snr"] >= RECALL_PEAK_SNR
        det["detections"] += s["detections"]
        det["true"] += s["true_detections"]
        det["strong"] += int(strong.sum())
        det["strong_found"] += int((strong & s["found"]).sum())
        det["counted_false"] += s["counted_false"]
        noises.append(s["noise_t"])
        rms.append(s["rms_map_minus_truth_t"])
    wall = time.perf_counter() - t0
    concs = sorted(by_conc)
    got = analyse_study([m for c in concs for m in by_conc[c]["measured"]])  # pooled by concentration there
    counts = [(c, by_conc[c]["n_true"], by_conc[c]["detections"], sum(m.n_cells for m in by_conc[c]["measured"]),
               by_conc[c]["not_usable"]) for c in concs]
    lines = [f"{len(paths)} sessions, {sum(g['n_true'] for g in by_conc.values())} simulated cells; map noise "
             f"{np.median(noises) * 1e9:.0f} nT per pixel (median over sessions, from pixel differences; rms of map "
             f"minus the true cell field {np.median(rms) * 1e9:.0f} nT); analysis and scoring {wall:.0f} s.", "",
             "| detections | true | false | precision | cells >= 8 sigma | found | recall | false ones in the study |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {det['detections']} | {det['true']} | {det['detections'] - det['true']} | "
             f"{100 * det['true'] / max(det['detections'], 1):.1f} % | {det['strong']} | {det['strong_found']} | "
             f"{100 * det['strong_found'] / max(det['strong'], 1):.1f} % | {det['counted_false']} |"]
    for key, what in (("all_true", "every simulated cell's true mass"),
                      ("counted_true", "the true masses of the simulated cells the study counted")):
        want = analyse_study([session_cells_of(c, by_conc[c][key], pixel_m) for c in concs])
        lines += ["", f"Measured (usable auto-detected cells) against {what}:", ""]
        lines += comparison_lines(got, want, counts)
    return "\n".join(lines)


def session_cells_of(concentration, records, pixel_m):
    from analysis.study.samples import session_cells

    return session_cells(stand_in_session(concentration, records, f"true {concentration:g}", pixel_m),
                         distance_window_m=None)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("sessions", nargs="*", help="simulated session files (analysed where they lack fit or cells)")
    p.add_argument("--simulate", metavar="OUT", help="simulate the studies into OUT/seedS first (kept if there)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--cells", type=int, default=24, help="cells per concentration and seed (default 24)")
    p.add_argument("--pairs", type=int, default=19200,
                   help="pairs per step (default 19200: ~20 nT map noise, the issue's study; 300 gives ~160 nT)")
    args = p.parse_args(argv)
    paths = list(args.sessions)
    if args.simulate:
        paths += simulate(args.simulate, args.seeds, args.cells, args.pairs)
    if not paths:
        p.error("give session files or --simulate OUT")
    print(pipeline_report(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
