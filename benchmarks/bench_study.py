"""The default simulated labelling study end to end, timed per stage, and compared with the paper's numbers.

    python benchmarks/bench_study.py [--out DIR] [--seed 0] [--keep]

Runs ``nvscope simulate-study --out DIR`` (5 sessions, 256 x 256, 101 steps x 300 pairs) and then
``nvscope study DIR/*.h5 --report DIR/report.html --json DIR/summary.json`` as subprocesses (cold start, as a user
runs them; numba compilation is cached on disk after the first run), times the pipeline stages the study
command reports, and checks the recovered half-maximum (paper 116.39 ug/ml, within 15 %) and B_max (paper
2.91 uT, within 10 %). Prints the machine it ran on. The study needs the cell analysis (analysis.cells).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine  # noqa: E402
from instruments.virtual_microscope import PAPER_B_MAX_T, PAPER_HALF_MAX_UG_PER_ML  # noqa: E402


def _run(args, env):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"nvscope {args[0]} failed with exit code {proc.returncode}")
    return elapsed, proc.stderr


def _truth_comparison(path):
    """Detected vs true cells of one simulated session: found fraction, false detections, median errors."""
    import numpy as np

    from analysis import physics
    from analysis.session import read_session

    session = read_session(path)
    truth = session.truth["cells"]
    pixel = session.truth["sample"]["pixel_size_m"]
    table = session.cells.columns
    from analysis.study.samples import DEFAULT_DISTANCE_WINDOW_M, EXCLUDED_FLAGS

    z_all = np.asarray(table["z_m"])
    good = (np.asarray(table.get("flag", np.zeros(z_all.size)), dtype=int) & EXCLUDED_FLAGS) == 0
    good &= (z_all >= DEFAULT_DISTANCE_WINDOW_M[0]) & (z_all <= DEFAULT_DISTANCE_WINDOW_M[1])
    rows, cols = np.asarray(table["row_px"])[good], np.asarray(table["col_px"])[good]
    z, mass_g = np.asarray(table["z_m"])[good], np.asarray(table["iron_mass_g"])[good]
    t_rows = np.array([c["y_m"] / pixel for c in truth])
    t_cols = np.array([c["x_m"] / pixel for c in truth])
    matched, dz, dm = set(), [], []
    for i in range(rows.size):
        d = np.hypot(t_rows - rows[i], t_cols - cols[i])
        j = int(np.argmin(d))
        if d[j] <= 4.0 and j not in matched:
            matched.add(j)
            dz.append(z[i] - truth[j]["z_m"])
            dm.append(mass_g[i] * 1e-3 / truth[j]["iron_mass_kg"] - 1.0)
    true_norm = np.mean([c["iron_mass_kg"] for c in truth]) * physics.normalised_field_per_kg()
    c = session.sample_metadata["spion_concentration_ug_per_ml"]
    nan = float("nan")
    dz_um = np.median(np.abs(dz)) * 1e6 if dz else nan
    dm_med, dm_rms = (100 * np.median(dm), 100 * np.std(dm)) if dm else (nan, nan)
    print(f"  {c:g} ug/ml: found {len(matched)}/{len(truth)} true cells, {rows.size - len(matched)} other "
          f"detections; median |dz| {dz_um:.2f} um, median mass error {dm_med:+.1f} % (rms {dm_rms:.0f} %); "
          f"true mean normalised field {true_norm * 1e6:.2f} uT")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the study (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-cnn", action="store_true", help="refine the cells by physics alone")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nvscope_study_"))
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    print(f"machine: {describe_machine()}")
    t_sim, _ = _run(["simulate-study", "--out", str(out), "--seed", str(args.seed), "--force"], env)
    print(f"simulate-study: {t_sim:.1f} s")
    sessions = sorted(str(p) for p in out.glob("*.h5"))
    t_study, log = _run(["study", *sessions, "--report", str(out / "report.html"), "--json",
                         str(out / "summary.json"), *(["--no-cnn"] if args.no_cnn else [])], env)
    for line in log.splitlines():
        if line.startswith(("pipeline:", "B_max", "  ")):
            print(line)
    print(f"study (pipeline + statistics + report): {t_study:.1f} s; total {t_sim + t_study:.1f} s")
    summary = json.loads((out / "summary.json").read_text())
    fits = summary["normalised_field_fits"]
    for name in ("exponential", "langmuir"):
        f = fits[name]
        print(f"{name:12s} B_max {f['b_max'] * 1e6:.3f} +- {f['b_max_err'] * 1e6:.3f} uT "
              f"({100 * (f['b_max'] / PAPER_B_MAX_T - 1):+.1f} %), half-max {f['c_half']:.1f} +- {f['c_half_err']:.1f} "
              f"ug/ml ({100 * (f['c_half'] / PAPER_HALF_MAX_UG_PER_ML - 1):+.1f} %), AIC {f['aic']:.2f}")
    b_ok = abs(summary["b_max_t"] / PAPER_B_MAX_T - 1) < 0.10
    c_ok = abs(summary["half_max_concentration_ug_per_ml"] / PAPER_HALF_MAX_UG_PER_ML - 1) < 0.15
    print(f"headline {summary['headline_model']}, lower AIC {summary['preferred_model']} (delta AIC "
          f"{summary['delta_aic']:.2f}): B_max within 10 %: {b_ok}, "
          f"half-max within 15 %: {c_ok}")
    r = summary["ranking"]
    print(f"ranking by raw peak field {r['by_raw_peak_field']} (correct: {r['raw_peak_ranks_correctly']}); "
          f"by normalised field {r['by_normalised_field']} (correct: {r['normalised_ranks_correctly']})")
    for g in summary["per_concentration"]:
        print(f"  {g['concentration_ug_per_ml']:g} ug/ml: {g['n_cells']} cells, normalised "
              f"{g['mean_normalised_field_t'] * 1e6:.2f} +- {g['sem_normalised_field_t'] * 1e6:.2f} uT, raw peak "
              f"{g['mean_raw_peak_t'] * 1e6:.2f} uT, distance {g['mean_z_m'] * 1e6:.1f} um")
    print("cells used by the study against the simulated truth (matched within 4 px):")
    for g in sorted(summary["sessions"], key=lambda g: g["concentration_ug_per_ml"]):
        _truth_comparison(g["path"])
    if args.out is None and not args.keep:
        shutil.rmtree(out)
    else:
        print(f"study kept in {out}")


if __name__ == "__main__":
    main()
