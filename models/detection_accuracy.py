"""Precision and recall of the automatic cell detection on independently simulated fields of view.

    python -m models.accuracy_report --precision [--n 12 --seed 7]

Each field: ``n_rows`` x ``n_cols`` pixels of 1.3 um, cells placed at random at least ``MIN_SEPARATION_M``
apart (``random_cells``: z 8-25 um, diameter ~12 um, random clusters) with iron masses log-uniform in
``MASS_RANGE_KG``, white noise of a sigma log-uniform in ``NOISE_RANGE_T``, and a smooth residual background
(a plane and a quadratic of a few noise sigmas, what an imperfect background removal leaves). The map goes
through ``analyze_field_map`` as the app runs it (noise estimated from the map, the committed CNN).

A detection within ``MATCH_PX`` of a true centre is a true cell (whatever its strength); any other detection is
false. Precision = true detections / detections. Recall = detected / true cells that stand at least
``RECALL_PEAK_SNR`` noise sigmas out (peak |B_NV| of the cell alone over the noise).
"""

import dataclasses

import numpy as np

from analysis import physics

PIXEL_M = 1.3e-6
MIN_SEPARATION_M = 35e-6
MASS_RANGE_KG = (0.2e-15, 8e-15)
NOISE_RANGE_T = (10e-9, 200e-9)
BACKGROUND_NOISE_MULTIPLE = 3.0
MATCH_PX = 3.0
RECALL_PEAK_SNR = 8.0


def simulated_field(seed, n_rows=160, n_cols=160, n_cells=12):
    """(map (T), cells, noise sigma (T), peak SNR of each cell alone)."""
    from instruments.virtual_microscope.sample import random_cells

    rng = np.random.default_rng([seed, 11])
    cells = random_cells(n_cells, seed, n_rows=n_rows, n_cols=n_cols, pixel_size_m=PIXEL_M,
                         min_separation_m=MIN_SEPARATION_M)
    lo, hi = np.log(MASS_RANGE_KG[0]), np.log(MASS_RANGE_KG[1])
    cells = [dataclasses.replace(c, iron_mass_kg=float(np.exp(rng.uniform(lo, hi)))) for c in cells]
    noise = float(np.exp(rng.uniform(np.log(NOISE_RANGE_T[0]), np.log(NOISE_RANGE_T[1]))))
    x, y = physics.pixel_coordinates_m(n_rows, n_cols, PIXEL_M)
    u = physics.nv_axis(physics.NV_POLAR_ANGLE_DEG, 45.0)
    peak_snr = np.array([np.max(np.abs(physics.cells_b_nv_map_t([c], x, y, u))) / noise for c in cells])
    m = physics.cells_b_nv_map_t(cells, x, y, u)
    yy, xx = np.meshgrid(np.linspace(-1, 1, n_rows), np.linspace(-1, 1, n_cols), indexing="ij")
    coeff = rng.uniform(-1, 1, 5) * BACKGROUND_NOISE_MULTIPLE * noise
    m += coeff[0] * xx + coeff[1] * yy + coeff[2] * xx**2 + coeff[3] * yy**2 + coeff[4] * xx * yy
    m += noise * rng.standard_normal(m.shape)
    return m, cells, noise, peak_snr


def score_fields(seeds, model=None, **field_kw):
    """Counts over the fields of ``seeds``: detections, true ones, false ones (with their fitted z and mass),
    strong cells and how many of them were found. ``model`` as ``analyze_field_map`` takes it."""
    from analysis.cells import analyze_field_map

    out = {"detections": 0, "true": 0, "false": [], "strong": 0, "strong_found": 0, "usable_false": 0,
           "usable_true": 0}
    for seed in seeds:
        m, cells, _, peak_snr = simulated_field(seed, **field_kw)
        results = analyze_field_map(m, PIXEL_M, model=model, nv_azimuth_deg=45.0)
        truth = np.array([[c.y_m / PIXEL_M, c.x_m / PIXEL_M] for c in cells]).reshape(-1, 2)
        pos = np.array([[r.row_px, r.col_px] for r in results]).reshape(-1, 2)
        dist = np.hypot(pos[:, None, 0] - truth[None, :, 0], pos[:, None, 1] - truth[None, :, 1])
        matched = dist.min(axis=1) < MATCH_PX if len(truth) else np.zeros(len(pos), dtype=bool)
        out["detections"] += len(results)
        out["true"] += int(matched.sum())
        out["usable_true"] += sum(bool(r.usable) for r, ok in zip(results, matched, strict=True) if ok)
        for r, ok in zip(results, matched, strict=True):
            if not ok:
                out["false"].append({"seed": seed, "row_px": r.row_px, "col_px": r.col_px, "z_um": r.z_m * 1e6,
                                     "mass_pg": r.iron_mass_g * 1e12, "snr": r.snr,
                                     "nearest_px": float(np.min(np.hypot(*(truth - [r.row_px, r.col_px]).T)))
                                     if len(truth) else float("nan"), "usable": r.usable})
                out["usable_false"] += int(r.usable)
        strong = peak_snr >= RECALL_PEAK_SNR
        found = (dist.min(axis=0) < MATCH_PX) if len(pos) else np.zeros(len(truth), dtype=bool)
        out["strong"] += int(strong.sum())
        out["strong_found"] += int((strong & found).sum())
    out["precision"] = out["true"] / max(out["detections"], 1)
    out["recall"] = out["strong_found"] / max(out["strong"], 1)
    return out


def precision_report(n_fields=12, seed=7, model=None):
    """Markdown summary of ``score_fields`` over ``n_fields`` fields from ``seed``."""
    s = score_fields(range(seed, seed + n_fields), model=model)
    lines = [f"{n_fields} fields of 160 x 160 px (1.3 um), seeds {seed}-{seed + n_fields - 1}, 12 cells each >= "
             f"{MIN_SEPARATION_M * 1e6:g} um apart, {MASS_RANGE_KG[0] * 1e15:g}-{MASS_RANGE_KG[1] * 1e15:g} pg, "
             f"noise {NOISE_RANGE_T[0] * 1e9:g}-{NOISE_RANGE_T[1] * 1e9:g} nT, smooth residual background.", "",
             "| detections | true | false | precision | cells >= 8 sigma | found | recall | true ones usable |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {s['detections']} | {s['true']} | {len(s['false'])} | {100 * s['precision']:.1f} % | {s['strong']} | "
             f"{s['strong_found']} | {100 * s['recall']:.1f} % | {100 * s['usable_true'] / max(s['true'], 1):.1f} % |",
             ""]
    for f in s["false"]:
        lines.append(f"- false: seed {f['seed']} at ({f['row_px']:.1f}, {f['col_px']:.1f}) px, z {f['z_um']:.1f} um, "
                     f"{f['mass_pg']:.2f} pg, SNR {f['snr']:.1f}, {f['nearest_px']:.1f} px from a true cell, "
                     f"usable {f['usable']}")
    return "\n".join(lines)
