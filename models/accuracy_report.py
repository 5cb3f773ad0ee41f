"""Accuracy of the cell analysis on a held-out simulated set: CNN alone, physics fits, and the hybrid.

    python -m models.accuracy_report [--n 2000 --seed 4242 --noise-nt 50 --model PATH --json PATH]

The set comes from ``models.training_data.generate_snippets`` (the CNN's own generator and truth conventions:
neighbours, residual background, half of the snippets with spatially correlated noise) with a seed no
training chunk uses and a fixed per-pixel noise. Four answers per snippet, all from the same snippets:

- CNN alone (``CellCNN.predict``);
- hybrid: least-squares fit of the point dipole + background (+ up to 3 neighbours) started from the CNN,
  combined with the CNN by their uncertainties (``refine_snippets(prior_sigma=...)``, ``analysis.cells.hybrid``);
- physics fit started from the CNN: the same fit, not combined (stage A of the hybrid);
- physics from a naive start: the largest pixel within 8 px of the snippet's centre as the cell's centre,
  z = 15 um, iron mass from that peak amplitude at that z (``naive_start``); the cell may move 12 px
  (the positive lobe lies several pixels from the centre).

Printed: a markdown table (median |relative error| of the iron mass, median |z error|, median position
error, fraction converged, time per snippet), the same for peak SNR >= 6, the diameter error binned by z/d
(the CNN's: the point-dipole fit has no diameter) and the mass error by peak SNR.
"""

import argparse
import json
import os
import time

import numpy as np

from analysis.cells import CellCNN, naive_start, refine_snippets
from analysis.cells.cnn_errors import cnn_sigmas
from models.evaluate import SNR_BINS, Z_OVER_D_BINS
from models.training_data import DEFAULT_RECIPE, generate_snippets

DEFAULT_SEED = 4242
DEFAULT_COUNT = 2000
DEFAULT_NOISE_NT = 50.0
BACKGROUND_ORDER = 2
"""The snippets carry a residual plane + quadratic (training_data): fitted as such."""
MAX_NEIGHBOURS = 3
"""Neighbouring cells reach into the snippets (0-3 per snippet): the fit models up to three of them."""


def _errors(answer, truth):
    return {
        "mass": np.abs(answer["iron_mass_kg"] / truth["iron_mass_kg"] - 1.0),
        "z_um": np.abs(answer["z_m"] - truth["z_m"]) * 1e6,
        "pos_px": np.hypot(answer["x_px"] - truth["x_px"], answer["y_px"] - truth["y_px"]),
    }


def _row(name, err, converged, ms, sel):
    return {"method": name, "mass_median_abs_rel": float(np.median(err["mass"][sel])),
            "z_median_abs_um": float(np.median(err["z_um"][sel])),
            "position_median_px": float(np.median(err["pos_px"][sel])),
            "converged": float(np.mean(converged[sel])), "ms_per_snippet": ms}


def run(n, seed, noise_t, model_path=None, background_order=BACKGROUND_ORDER):
    """Build the set, run the four methods, return a dict of results (see ``format_markdown``)."""
    p = DEFAULT_RECIPE.pixel_size_m
    t0 = time.perf_counter()
    snippets, truth = generate_snippets(n, seed, noise_sigma_t=noise_t)
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
    hybrid = refine_snippets(snippets, pred, p, noise_t, prior_sigma=sigma, start_diameter_m=pred["diameter_m"],
                             **options)
    hybrid_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    from_cnn = refine_snippets(snippets, pred, p, noise_t, **options)
    from_cnn_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    naive = refine_snippets(snippets, naive_start(snippets, p), p, noise_t, max_shift_px=12.0, **options)
    naive_ms = (time.perf_counter() - t0) / n * 1e3

    def answer(fit):
        return {k: getattr(fit, k) for k in ("x_px", "y_px", "z_m", "iron_mass_kg")}

    methods = [
        ("CNN alone", pred, np.ones(n, dtype=bool), cnn_ms),
        ("hybrid (fit combined with the CNN)", answer(hybrid), hybrid.converged, cnn_ms + hybrid_ms),
        ("physics fit started from the CNN", answer(from_cnn), from_cnn.converged, cnn_ms + from_cnn_ms),
        ("physics fit started naively", answer(naive), naive.converged, naive_ms),
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
    return out


def _table(rows):
    lines = ["| method | iron mass, median abs. rel. error | z, median abs. error (um) | position, median error "
             "(px) | converged | time per snippet (ms) |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['method']} | {100 * r['mass_median_abs_rel']:.1f} % | {r['z_median_abs_um']:.2f} | "
                     f"{r['position_median_px']:.2f} | {100 * r['converged']:.1f} % | {r['ms_per_snippet']:.2f} |")
    return lines


def format_markdown(report):
    """The report as markdown: the main table, the SNR >= 6 table, diameter by z/d, mass by peak SNR."""
    lines = [f"Held-out set: {report['count']} snippets, seed {report['seed']}, noise "
             f"{report['noise_sigma_t'] * 1e9:.0f} nT per pixel; model {report['model']['name']} "
             f"{report['model']['version']} (sha256 {report['model']['sha256'][:12]}...).", ""]
    lines += _table(report["all"])
    lines += ["", f"Cells with peak SNR >= 6 ({report['count_peak_snr_at_least_6']} snippets):", ""]
    lines += _table(report["peak_snr_at_least_6"])
    lines += ["", "Diameter (CNN; the point-dipole fit does not measure it) against the truth, by z/d:", "",
              "| z/d | snippets | median abs. error (um) | median signed error (um) |", "| --- | --- | --- | --- |"]
    for r in report["diameter_by_z_over_d"]:
        lines.append(f"| {r['low']:.1f}-{r['high']:.1f} | {r['count']} | {r['median_abs_um']:.2f} | "
                     f"{r['median_signed_um']:+.2f} |")
    names = [r["method"] for r in report["all"]]
    lines += ["", "Iron mass, median abs. relative error by peak SNR:", "",
              "| peak SNR | snippets | " + " | ".join(names) + " |", "| --- | --- |" + " --- |" * len(names)]
    for r in report["mass_by_peak_snr"]:
        high = "inf" if r["high"] is None else f"{r['high']:.0f}"
        lines.append(f"| {r['low']:.0f}-{high} | {r['count']} | " + " | ".join(
            f"{100 * r[name]:.1f} %" for name in names) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--noise-nt", type=float, default=DEFAULT_NOISE_NT)
    parser.add_argument("--model", default=None, help="ONNX file (default: the committed model)")
    parser.add_argument("--background-order", type=int, default=BACKGROUND_ORDER)
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    report = run(args.n, args.seed, args.noise_nt * 1e-9, args.model, args.background_order)
    print(format_markdown(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
