"""Accuracy of the cell analysis on a held-out simulated set: CNN alone, physics fits, and the hybrid.

    python -m models.accuracy_report [--n 2000 --seed 4242 --noise-nt 50 --model PATH --json PATH]

The set comes from ``models.training_data.generate_snippets`` (the CNN's own generator and truth conventions:
neighbours, residual background, half of the snippets with spatially correlated noise) with a seed no
training chunk uses and a fixed per-pixel noise. Four answers per snippet, all from the same snippets:

- CNN alone (``CellCNN.predict``);
- hybrid: least-squares fit of the point dipole + background (+ up to 3 neighbours) started from the CNN,
  combined with the CNN by their uncertainties (``refine_snippets(start_sigma=...)``, ``analysis.cells.hybrid``);
- physics fit started from the CNN: the same fit, not combined (stage A of the hybrid);
- physics from a naive start: the largest pixel within 8 px of the snippet's centre as the cell's centre,
  z = 15 um, iron mass from that peak amplitude at that z (``naive_start``); the cell may move 12 px
  (the positive lobe lies several pixels from the centre).

Three oracle rows follow, not methods one could use: the CNN, the fit from the CNN and the hybrid on the same
snippets with the neighbours' true field subtracted (no neighbours modelled): what perfect neighbour handling
would give.

``--floor`` prints how far the best point dipole is from noiseless random-cluster cells, by z/d, and what an ideal
unbiased point-dipole refinement would reach on the same held-out set (that floor plus the Cramer-Rao bound at
the set's noise; ``models.floors``).
``--detection`` instead analyses whole simulated fields of view (``FIELDS``) with ``analyze_field_map``: how many
cells are found, and the errors of the hybrid, the CNN alone and the fit alone for those found.
``--precision`` instead gives the detection's precision and recall on --n simulated fields of view from --seed
(``models.detection_accuracy``; e.g. --n 20 --seed 27).
``--study`` instead simulates a labelling study on field maps and compares the study's numbers with the true
masses' (``models.study_accuracy``; e.g. --n 72 --seed 5 --noise-nt 20).
``--calibration`` instead gives the errors at 0.65-3.9 um pixels and at the four NV azimuths
(``models.calibration_accuracy``).
``--average A.onnx B.onnx ...`` gives only the CNN-alone errors of each model on the set and of their average
(independently trained networks that err alike point at the data rather than the network).

Printed: a markdown table (median |relative error| of the iron mass, median |z error|, median position
error - against the cell centre, and against the moment centroid (mean cluster position, where the field
says the moment is) when the truth has it - fraction converged, time per snippet), the same for peak
SNR >= 6, the diameter error binned by z/d (the CNN's: the point-dipole fit has no diameter), the hybrid's
pulls, the mass error by peak SNR and by how strong the neighbours are against the cell.
"""

import argparse
import json
import os
import time

import numpy as np

from analysis.cells import CellCNN, naive_start, refine_snippets
from analysis.cells.cnn_errors import cnn_sigmas
from models.evaluate import SNR_BINS, Z_OVER_D_BINS
from models.training_data import DEFAULT_RECIPE, PICOGRAM_KG, generate_with_geometry

DEFAULT_SEED = 4242
DEFAULT_COUNT = 2000
DEFAULT_NOISE_NT = 50.0
BACKGROUND_ORDER = 2
"""The snippets carry a residual plane + quadratic (training_data): fitted as such."""
MAX_NEIGHBOURS = 3
"""Neighbouring cells reach into the snippets (0-3 per snippet): the fit models up to three of them."""
NEIGHBOUR_RATIO_BINS = (0.0, 0.5, 2.0, 10.0, np.inf)
"""Bins of the neighbours' peak-to-peak field in the snippet over the cell's own (snippets with neighbours; those
without have a row of their own)."""
ORACLE_CNN = "oracle: CNN alone, neighbours' true field subtracted"
ORACLE_FIT = "oracle: fit from the CNN, neighbours' true field subtracted"
ORACLE_HYBRID = "oracle: hybrid, neighbours' true field subtracted"


def _errors(answer, truth):
    err = {
        "mass": np.abs(answer["iron_mass_kg"] / truth["iron_mass_kg"] - 1.0),
        "z_um": np.abs(answer["z_m"] - truth["z_m"]) * 1e6,
        "pos_px": np.hypot(answer["x_px"] - truth["x_px"], answer["y_px"] - truth["y_px"]),
    }
    if "centroid_z_m" in truth:  # where the moment sits (mean cluster position): what the field can tell
        err["z_centroid_um"] = np.abs(answer["z_m"] - truth["centroid_z_m"]) * 1e6
        err["pos_centroid_px"] = np.hypot(answer["x_px"] - truth["centroid_x_px"],
                                          answer["y_px"] - truth["centroid_y_px"])
    return err


def _row(name, err, converged, ms, sel):
    row = {"method": name, "mass_median_abs_rel": float(np.median(err["mass"][sel])),
           "z_median_abs_um": float(np.median(err["z_um"][sel])),
           "position_median_px": float(np.median(err["pos_px"][sel])),
           "converged": float(np.mean(converged[sel])), "ms_per_snippet": ms}
    if "z_centroid_um" in err:
        row["z_centroid_median_abs_um"] = float(np.median(err["z_centroid_um"][sel]))
        row["position_centroid_median_px"] = float(np.median(err["pos_centroid_px"][sel]))
    return row


def run(n, seed, noise_t, model_path=None, background_order=BACKGROUND_ORDER):
    """Build the set, run the four methods and the oracles, return a dict of results (see ``format_markdown``)."""
    p = DEFAULT_RECIPE.pixel_size_m
    t0 = time.perf_counter()
    geometry, snippets, truth = generate_with_geometry(n, seed, noise_sigma_t=noise_t)
    build_s = time.perf_counter() - t0
    cnn = CellCNN(model_path)
    cnn.predict(snippets[:8], pixel_size_m=p)  # warm the session up
    t0 = time.perf_counter()
    pred = cnn.predict(snippets, pixel_size_m=p)
    cnn_ms = (time.perf_counter() - t0) / n * 1e3
    sigma = cnn_sigmas(cnn.card, pred, noise_t)
    options = {"max_neighbours": MAX_NEIGHBOURS, "background_order": background_order}
    refine_snippets(snippets[:4], {k: v[:4] for k, v in pred.items()}, p, noise_t, **options)  # compile
    t0 = time.perf_counter()
    hybrid = refine_snippets(snippets, pred, p, noise_t, start_sigma=sigma, start_diameter_m=pred["diameter_m"],
                             **options)
    hybrid_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    from_cnn = refine_snippets(snippets, pred, p, noise_t, **options)
    from_cnn_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    naive = refine_snippets(snippets, naive_start(snippets, p), p, noise_t, max_shift_px=12.0, **options)
    naive_ms = (time.perf_counter() - t0) / n * 1e3
    alone = snippets - geometry["neighbour_field_t"]
    oracle_options = dict(options, max_neighbours=0)
    oracle_cnn = cnn.predict(alone, pixel_size_m=p)
    oracle_fit = refine_snippets(alone, oracle_cnn, p, noise_t, **oracle_options)
    oracle_sigma = cnn_sigmas(cnn.card, oracle_cnn, noise_t)
    oracle_hybrid = refine_snippets(alone, oracle_cnn, p, noise_t, start_sigma=oracle_sigma,
                                    start_diameter_m=oracle_cnn["diameter_m"], **oracle_options)

    def answer(fit):
        return {k: getattr(fit, k) for k in ("x_px", "y_px", "z_m", "iron_mass_kg")}

    methods = [
        ("CNN alone", pred, np.ones(n, dtype=bool), cnn_ms),
        ("hybrid (fit combined with the CNN)", answer(hybrid), hybrid.converged, cnn_ms + hybrid_ms),
        ("physics fit started from the CNN", answer(from_cnn), from_cnn.converged, cnn_ms + from_cnn_ms),
        ("physics fit started naively", answer(naive), naive.converged, naive_ms),
        (ORACLE_CNN, oracle_cnn, np.ones(n, dtype=bool), None),
        (ORACLE_FIT, answer(oracle_fit), oracle_fit.converged, None),
        (ORACLE_HYBRID, answer(oracle_hybrid), oracle_hybrid.converged, None),
    ]
    errors = {name: _errors(a, truth) for name, a, _, _ in methods}
    everything = np.ones(n, dtype=bool)
    detectable = truth["peak_snr"] >= 6.0
    out = {
        "count": n, "seed": seed, "noise_sigma_t": noise_t, "background_order": background_order,
        "model": cnn.identity(), "build_seconds": build_s, "threads": os.cpu_count(),
        "all": [_row(name, errors[name], conv, ms, everything) for name, _, conv, ms in methods],
        "peak_snr_at_least_6": [_row(name, errors[name], conv, ms, detectable) for name, _, conv, ms in methods],
        "count_peak_snr_at_least_6": int(detectable.sum()),
        "diameter_by_z_over_d": [], "mass_by_peak_snr": [],
    }
    rng = np.random.default_rng(0)
    boot = rng.integers(0, n, (1000, n))
    cnn_err, hyb_err = errors["CNN alone"]["mass"], errors["hybrid (fit combined with the CNN)"]["mass"]
    diff = np.median(hyb_err[boot], axis=1) - np.median(cnn_err[boot], axis=1)
    out["hybrid_minus_cnn_mass"] = {"median_difference": float(np.median(hyb_err) - np.median(cnn_err)),
                                    "bootstrap_95": [float(v) for v in np.percentile(diff, [2.5, 97.5])],
                                    "hybrid_better_fraction": float(np.mean(hyb_err < cnn_err))}
    pulls = {
        "iron mass (ln)": (np.log(hybrid.iron_mass_kg / truth["iron_mass_kg"]), hybrid.iron_mass_kg_err
                           / hybrid.iron_mass_kg),
        "z": (hybrid.z_m - truth["z_m"], hybrid.z_m_err),
        "x": (hybrid.x_px - truth["x_px"], hybrid.x_px_err),
        "y": (hybrid.y_px - truth["y_px"], hybrid.y_px_err),
    }
    isolated = truth["n_neighbours"] == 0
    out["hybrid_pulls"] = [
        {"parameter": name, "median_abs_pull": float(np.median(np.abs(d / e))),
         "within_1_sigma": float(np.mean(np.abs(d / e) < 1)), "within_2_sigma": float(np.mean(np.abs(d / e) < 2)),
         "median_abs_pull_isolated": float(np.median(np.abs(d / e)[isolated]))}
        for name, (d, e) in pulls.items()]
    z_over_d = truth["z_m"] / truth["diameter_m"]
    d_err = (pred["diameter_m"] - truth["diameter_m"]) * 1e6
    for lo, hi in zip(Z_OVER_D_BINS[:-1], Z_OVER_D_BINS[1:], strict=True):
        sel = (z_over_d >= lo) & (z_over_d < hi)
        if sel.any():
            out["diameter_by_z_over_d"].append({"low": lo, "high": hi, "count": int(sel.sum()),
                                                "median_abs_um": float(np.median(np.abs(d_err[sel]))),
                                                "median_signed_um": float(np.median(d_err[sel]))})
    for lo, hi in zip(SNR_BINS[:-1], SNR_BINS[1:], strict=True):
        sel = (truth["peak_snr"] >= lo) & (truth["peak_snr"] < hi)
        if sel.any():
            out["mass_by_peak_snr"].append({"low": lo, "high": None if np.isinf(hi) else hi, "count": int(sel.sum()),
                                            **{name: float(np.median(errors[name]["mass"][sel])) for name, *_ in
                                               methods}})
    # how strong the neighbours are against the cell: peak-to-peak of their field in the snippet over the cell's
    cell_pp = np.ptp(geometry["unit_field_t"].reshape(n, -1), axis=1) * truth["iron_mass_kg"] / PICOGRAM_KG
    ratio = np.ptp(geometry["neighbour_field_t"].reshape(n, -1), axis=1) / cell_pp
    out["mass_by_neighbour_ratio"] = []
    bins = [(None, None, isolated)] + [(lo, hi, ~isolated & (ratio >= lo) & (ratio < hi))
                                       for lo, hi in zip(NEIGHBOUR_RATIO_BINS[:-1], NEIGHBOUR_RATIO_BINS[1:],
                                                         strict=True)]
    for lo, hi, sel in bins:
        if sel.any():
            out["mass_by_neighbour_ratio"].append(
                {"low": lo, "high": None if hi is None or np.isinf(hi) else hi, "count": int(sel.sum()),
                 **{name: float(np.median(errors[name]["mass"][sel])) for name, *_ in methods}})
    return out


def _table(rows):
    lines = ["| method | iron mass, median abs. rel. error | z, median abs. error (um) | position, median error "
             "(px) | converged | time per snippet (ms) |", "| --- | --- | --- | --- | --- | --- |"]
    centroid = "z_centroid_median_abs_um" in rows[0]
    if centroid:
        lines[0] = lines[0].replace(" | converged", " | z vs moment centroid (um) | position vs centroid (px) | "
                                                    "converged")
        lines[1] += " --- | --- |"
    for r in rows:
        extra = f"{r['z_centroid_median_abs_um']:.2f} | {r['position_centroid_median_px']:.2f} | " if centroid else ""
        lines.append(f"| {r['method']} | {100 * r['mass_median_abs_rel']:.1f} % | {r['z_median_abs_um']:.2f} | "
                     f"{r['position_median_px']:.2f} | {extra}{100 * r['converged']:.1f} % | "
                     f"{'-' if r['ms_per_snippet'] is None else format(r['ms_per_snippet'], '.2f')} |")
    return lines


def format_markdown(report):
    """The report as markdown: the main table, the SNR >= 6 table, diameter by z/d, mass by peak SNR."""
    lines = [f"Held-out set: {report['count']} snippets, seed {report['seed']}, noise "
             f"{report['noise_sigma_t'] * 1e9:.0f} nT per pixel; model {report['model']['name']} "
             f"{report['model']['version']} (sha256 {report['model']['sha256'][:12]}...).", ""]
    lines += _table(report["all"])
    d = report["hybrid_minus_cnn_mass"]
    lines += ["", f"Hybrid minus CNN, median abs. relative mass error: {100 * d['median_difference']:+.1f} points "
              f"(bootstrap 95 % interval {100 * d['bootstrap_95'][0]:+.1f} to {100 * d['bootstrap_95'][1]:+.1f}); "
              f"the hybrid is closer to the truth on {100 * d['hybrid_better_fraction']:.0f} % of the snippets."]
    lines += ["", f"Cells with peak SNR >= 6 ({report['count_peak_snr_at_least_6']} snippets):", ""]
    lines += _table(report["peak_snr_at_least_6"])
    lines += ["", "Diameter (CNN; the point-dipole fit does not measure it) against the truth, by z/d:", "",
              "| z/d | snippets | median abs. error (um) | median signed error (um) |", "| --- | --- | --- | --- |"]
    for r in report["diameter_by_z_over_d"]:
        lines.append(f"| {r['low']:.1f}-{r['high']:.1f} | {r['count']} | {r['median_abs_um']:.2f} | "
                     f"{r['median_signed_um']:+.2f} |")
    lines += ["", "Are the hybrid's one-sigma errors honest? Pulls (estimate - truth) / error (Gaussian: median |pull|"
              " 0.67, 68 % within 1, 95 % within 2):", "",
              "| parameter | median abs. pull | within 1 sigma | within 2 sigma | median abs. pull, no neighbours |",
              "| --- | --- | --- | --- | --- |"]
    for r in report["hybrid_pulls"]:
        lines.append(f"| {r['parameter']} | {r['median_abs_pull']:.2f} | {100 * r['within_1_sigma']:.0f} % | "
                     f"{100 * r['within_2_sigma']:.0f} % | {r['median_abs_pull_isolated']:.2f} |")
    names = [r["method"] for r in report["all"]]
    lines += ["", "Iron mass, median abs. relative error by peak SNR:", "",
              "| peak SNR | snippets | " + " | ".join(names) + " |", "| --- | --- |" + " --- |" * len(names)]
    for r in report["mass_by_peak_snr"]:
        high = "inf" if r["high"] is None else f"{r['high']:.0f}"
        lines.append(f"| {r['low']:.0f}-{high} | {r['count']} | " + " | ".join(
            f"{100 * r[name]:.1f} %" for name in names) + " |")
    lines += ["", "Iron mass, median abs. relative error by the neighbours' strength (peak-to-peak of their field in "
              "the snippet over the cell's own):", "",
              "| neighbours / cell | snippets | " + " | ".join(names) + " |", "| --- | --- |" + " --- |" * len(names)]
    for r in report.get("mass_by_neighbour_ratio", []):
        label = "no neighbours" if r["low"] is None else \
            f"{r['low']:g}-{'inf' if r['high'] is None else format(r['high'], 'g')}"
        lines.append(f"| {label} | {r['count']} | " + " | ".join(f"{100 * r[name]:.1f} %" for name in names) + " |")
    return "\n".join(lines)


FIELDS = (("40 cells >= 30 um apart, uniformly labelled", 40, 30e-6, "uniform"),
          ("40 cells >= 30 um apart, random clusters", 40, 30e-6, "random"),
          ("100 cells >= 22 um apart, random clusters", 100, 22e-6, "random"))


def detection_report(model_path=None, seeds=(0, 1, 2, 3), noise_t=DEFAULT_NOISE_NT * 1e-9, size=256):
    """Markdown tables for whole fields of view (``random_cells``, z 8-25 um, 1 pg median, ``size`` x ``size``
    pixels of 1.3 um) analysed by ``analyze_field_map``: cells found (a result within 3 px of a true centre)
    and false detections; and, for the cells found, the median errors of the hybrid, of the CNN alone (on
    the deblended snippets) and of the fit alone. ``model_path`` False: without the CNN."""
    import dataclasses

    from analysis import physics
    from analysis.cells import analyze_field_map
    from instruments.virtual_microscope.sample import random_cells

    p = DEFAULT_RECIPE.pixel_size_m
    model = False if model_path is False else CellCNN(model_path)
    found_lines = ["| field | cells | found | false detections | seconds per field |",
                   "| --- | --- | --- | --- | --- |"]
    error_lines = ["| field | answer | iron mass, median abs. rel. error | z, median abs. error (um) | "
                   "position, median error (px) |", "| --- | --- | --- | --- | --- |"]
    for name, n_cells, separation, layout in FIELDS:
        total = found = false = 0
        seconds, rows = [], {"hybrid": [], "CNN alone": [], "fit alone": []}
        for seed in seeds:
            cells = random_cells(n_cells, seed, n_rows=size, n_cols=size, pixel_size_m=p, min_separation_m=separation)
            cells = [dataclasses.replace(c, layout=layout, n_clusters=200) if layout == "uniform" else c
                     for c in cells]
            x, y = physics.pixel_coordinates_m(size, size, p)
            m = physics.cells_b_nv_map_t(cells, x, y, physics.nv_axis())
            m += noise_t * np.random.default_rng(seed).standard_normal(m.shape)
            t0 = time.perf_counter()
            results = analyze_field_map(m, p, noise_t=noise_t, model=model)
            seconds.append(time.perf_counter() - t0)
            truth = np.array([[c.y_m / p, c.x_m / p] for c in cells])
            pos = np.array([[r.row_px, r.col_px] for r in results]).reshape(-1, 2)
            dist = np.hypot(*(pos[:, None, :] - truth[None]).transpose(2, 0, 1)) if len(pos) else np.zeros((0, 1))
            total += len(cells)
            false += int(np.sum(dist.min(axis=1) >= 3.0)) if len(pos) else 0
            for i, r in enumerate(results):
                j = int(np.argmin(dist[i]))
                if dist[i, j] >= 3.0:
                    continue
                found += 1
                c = cells[j]
                fit = r.physics_only
                answers = {"hybrid": (r.iron_mass_g * 1e-3, r.z_m, r.row_px, r.col_px),
                           "fit alone": (fit["iron_mass_kg"], fit["z_m"], r.snippet_row + fit["y_px"],
                                         r.snippet_col + fit["x_px"])}
                if r.cnn:
                    answers["CNN alone"] = (r.cnn["iron_mass_kg"], r.cnn["z_m"], r.snippet_row + r.cnn["y_px"],
                                            r.snippet_col + r.cnn["x_px"])
                for key, (mass, z, row, col) in answers.items():
                    rows[key].append((abs(mass / c.iron_mass_kg - 1), abs(z - c.z_m) * 1e6,
                                      np.hypot(row - c.y_m / p, col - c.x_m / p)))
        found_lines.append(f"| {name} | {total} | {found} ({100 * found / total:.0f} %) | {false} | "
                           f"{np.median(seconds):.2f} |")
        for key, values in rows.items():
            if values:
                med = np.median(np.array(values), axis=0)
                error_lines.append(f"| {name} | {key} | {100 * med[0]:.1f} % | {med[1]:.2f} | {med[2]:.2f} |")
    return "\n".join(found_lines + [""] + error_lines)


def average_of_networks(model_paths, n=DEFAULT_COUNT, seed=DEFAULT_SEED, noise_t=DEFAULT_NOISE_NT * 1e-9):
    """CNN-alone median errors (mass, z um, position px) of each ONNX model on the report's set and of their
    average (mean x, y, z; geometric mean of the mass): do independently trained networks err alike?"""
    _, snippets, truth = generate_with_geometry(n, seed, noise_sigma_t=noise_t)
    preds = [CellCNN(path).predict(snippets, pixel_size_m=DEFAULT_RECIPE.pixel_size_m) for path in model_paths]
    mean = {k: np.mean([pr[k] for pr in preds], axis=0) for k in ("x_px", "y_px", "z_m")}
    mean["iron_mass_kg"] = np.exp(np.mean([np.log(pr["iron_mass_kg"]) for pr in preds], axis=0))
    lines = ["| network | iron mass, median abs. rel. error | z, median abs. error (um) "
             "| position, median error (px) |", "| --- | --- | --- | --- |"]
    for name, answer in [*zip(model_paths, preds, strict=True), ("average", mean)]:
        err = _errors(answer, truth)
        lines.append(f"| {name} | {100 * np.median(err['mass']):.1f} % | {np.median(err['z_um']):.2f} | "
                     f"{np.median(err['pos_px']):.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--noise-nt", type=float, default=DEFAULT_NOISE_NT)
    parser.add_argument("--model", default=None, help="ONNX file (default: the committed model)")
    parser.add_argument("--background-order", type=int, default=BACKGROUND_ORDER)
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    parser.add_argument("--detection", action="store_true", help="only the detection table (simulated fields)")
    parser.add_argument("--precision", action="store_true",
                        help="only detection precision and recall on simulated fields (models.detection_accuracy); "
                             "--n fields from --seed")
    parser.add_argument("--study", action="store_true",
                        help="only the labelling study's recovery of the saturation curve (models.study_accuracy); "
                             "--n cells per concentration")
    parser.add_argument("--calibration", action="store_true",
                        help="only the errors at other pixel sizes and NV azimuths (models.calibration_accuracy)")
    parser.add_argument("--floor", action="store_true",
                        help="only the floors: the point dipole's (noiseless cells), and model + Cramer-Rao on the set")
    parser.add_argument("--average", nargs="+", metavar="ONNX", default=None,
                        help="only the CNN alone: each of these models and their average")
    args = parser.parse_args(argv)
    if args.average:
        print(average_of_networks(args.average, args.n, args.seed, args.noise_nt * 1e-9))
        return
    if args.floor:
        from models.floors import achievable_table, point_dipole_floor_table

        print("Best point dipole for noiseless random-cluster cells, by z/d:\n")
        print(point_dipole_floor_table())
        print(f"\nWhat an ideal unbiased point-dipole refinement would reach on the held-out set ({args.n} snippets, "
              f"seed {args.seed}, {args.noise_nt:g} nT, background order {args.background_order}): median errors\n")
        print(achievable_table(args.n, args.seed, args.noise_nt * 1e-9, args.background_order, SNR_BINS))
        return
    if args.study:
        from models.study_accuracy import study_report

        print(study_report(args.n, args.seed, args.noise_nt * 1e-9, args.model))
        return
    if args.precision:
        from models.detection_accuracy import precision_report

        print(precision_report(args.n, args.seed, args.model))
        return
    if args.calibration:
        from models.calibration_accuracy import calibration_report

        print(calibration_report(args.n, args.seed, args.noise_nt * 1e-9, args.model))
        return
    if args.detection:
        print(detection_report(args.model, noise_t=args.noise_nt * 1e-9))
        return
    report = run(args.n, args.seed, args.noise_nt * 1e-9, args.model, args.background_order)
    print(format_markdown(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
