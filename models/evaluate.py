"""Accuracy of the cell CNN on simulated snippets with known truth (numpy only: used in training and export).

Position and z are scored against the cell's geometric centre (the truth). With clusters at random points of
the membrane, the magnetic moment sits at the clusters' mean position, off the centre by about
(d/2) / sqrt(3 n) per axis, which the field cannot reveal; the report also gives the errors against that
moment centroid and the centroid's own offset (the floor for the centre).

Predictions and truth are dicts of (N,) arrays in SI units; predictions use the ONNX output names
(``x_px``, ``y_px``, ``z_m``, ``diameter_m``, ``log10_iron_mass_kg``, ``background_t``).
"""

import numpy as np

HELD_OUT_SEED = 999
HELD_OUT_COUNT = 2000
HELD_OUT_NOISE_T = 50e-9
TARGETS = {
    "iron_mass_median_abs_rel_error": 0.10,
    "z_median_abs_error_um": 1.0,
    "position_median_error_px": 0.3,
}
Z_OVER_D_BINS = (0.5, 1.0, 1.5, 2.0, 3.0, 8.0)
SNR_BINS = (3.0, 6.0, 10.0, 30.0, 100.0, np.inf)


def _errors(pred, truth):
    mass_rel = 10.0 ** (pred["log10_iron_mass_kg"] - np.log10(truth["iron_mass_kg"])) - 1.0
    return {
        "mass_abs_rel": np.abs(mass_rel),
        "z_abs_um": np.abs(pred["z_m"] - truth["z_m"]) * 1e6,
        "position_px": np.hypot(pred["x_px"] - truth["x_px"], pred["y_px"] - truth["y_px"]),
        "x_abs_px": np.abs(pred["x_px"] - truth["x_px"]),
        "y_abs_px": np.abs(pred["y_px"] - truth["y_px"]),
        "diameter_abs_um": np.abs(pred["diameter_m"] - truth["diameter_m"]) * 1e6,
        "diameter_signed_um": (pred["diameter_m"] - truth["diameter_m"]) * 1e6,
        "background_abs_nt": np.abs(pred["background_t"] - truth["background_t"]) * 1e9,
        # against the moment centroid (mean cluster position) and that centroid's own offset from the centre
        "position_vs_centroid_px": np.hypot(
            pred["x_px"] - truth["centroid_x_px"], pred["y_px"] - truth["centroid_y_px"]
        ),
        "z_vs_centroid_abs_um": np.abs(pred["z_m"] - truth["centroid_z_m"]) * 1e6,
        "centroid_offset_px": np.hypot(truth["centroid_x_px"] - truth["x_px"], truth["centroid_y_px"] - truth["y_px"]),
        "centroid_z_offset_um": np.abs(truth["centroid_z_m"] - truth["z_m"]) * 1e6,
    }


def _summary(err):
    return {
        "iron_mass_median_abs_rel_error": float(np.median(err["mass_abs_rel"])),
        "iron_mass_p90_abs_rel_error": float(np.percentile(err["mass_abs_rel"], 90)),
        "z_median_abs_error_um": float(np.median(err["z_abs_um"])),
        "z_p90_abs_error_um": float(np.percentile(err["z_abs_um"], 90)),
        "position_median_error_px": float(np.median(err["position_px"])),
        "x_median_abs_error_px": float(np.median(err["x_abs_px"])),
        "y_median_abs_error_px": float(np.median(err["y_abs_px"])),
        "diameter_median_abs_error_um": float(np.median(err["diameter_abs_um"])),
        "diameter_median_signed_error_um": float(np.median(err["diameter_signed_um"])),
        "background_median_abs_error_nt": float(np.median(err["background_abs_nt"])),
        "position_vs_moment_centroid_median_px": float(np.median(err["position_vs_centroid_px"])),
        "z_vs_moment_centroid_median_abs_um": float(np.median(err["z_vs_centroid_abs_um"])),
        "moment_centroid_offset_median_px": float(np.median(err["centroid_offset_px"])),
        "moment_centroid_z_offset_median_um": float(np.median(err["centroid_z_offset_um"])),
    }


def _binned(err, key, values, edges):
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (values >= lo) & (values < hi)
        if sel.sum() == 0:
            continue
        row = {"low": float(lo), "high": float(hi) if np.isfinite(hi) else None, "count": int(sel.sum())}
        row.update({k: float(np.median(err[k][sel])) for k in key})
        rows.append(row)
    return rows


def accuracy_report(pred, truth):
    """Medians of the errors overall, for peak SNR >= 6 (what detection finds), and binned by z/d and SNR."""
    err = _errors(pred, truth)
    snr = truth["peak_snr"]
    detectable = snr >= 6.0
    report = {
        "count": int(len(snr)),
        "all": _summary(err),
        "peak_snr_at_least_6": _summary({k: v[detectable] for k, v in err.items()}) | {
            "count": int(detectable.sum())
        },
        "diameter_by_z_over_d": _binned(
            err, ("diameter_abs_um", "diameter_signed_um"), truth["z_m"] / truth["diameter_m"], Z_OVER_D_BINS
        ),
        "by_peak_snr": _binned(err, ("mass_abs_rel", "z_abs_um", "position_px"), snr, SNR_BINS),
    }
    report["targets_met"] = {k: report["all"][k] <= v for k, v in TARGETS.items()}
    return report


def format_report(report):
    """A few lines of text for logs and the docs."""
    a = report["all"]
    lines = [
        f"held-out n={report['count']}: mass {100 * a['iron_mass_median_abs_rel_error']:.1f} % | "
        f"z {a['z_median_abs_error_um']:.2f} um | position {a['position_median_error_px']:.3f} px | "
        f"d {a['diameter_median_abs_error_um']:.2f} um | C {a['background_median_abs_error_nt']:.1f} nT",
        f"  vs moment centroid: position {a['position_vs_moment_centroid_median_px']:.3f} px, z "
        f"{a['z_vs_moment_centroid_median_abs_um']:.2f} um; centroid off the centre by "
        f"{a['moment_centroid_offset_median_px']:.3f} px, {a['moment_centroid_z_offset_median_um']:.2f} um (medians)",
    ]
    for row in report["by_peak_snr"]:
        lines.append(
            f"  SNR {row['low']:>4.0f}-{row['high'] or float('inf'):<4.0f}: n={row['count']:4d} mass "
            f"{100 * row['mass_abs_rel']:.1f} % z {row['z_abs_um']:.2f} um pos {row['position_px']:.3f} px"
        )
    for row in report["diameter_by_z_over_d"]:
        lines.append(
            f"  z/d {row['low']:.1f}-{row['high']:.1f}: n={row['count']:4d} |d err| "
            f"{row['diameter_abs_um']:.2f} um (signed {row['diameter_signed_um']:+.2f})"
        )
    return "\n".join(lines)
