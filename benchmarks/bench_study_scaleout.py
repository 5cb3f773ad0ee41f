"""The labelling study's per-session work (fit, field map, cells; ``app.core.study_runner``) on many sessions,
in 1 process, in 2 local processes and on a 2-worker dask LocalCluster.

    python benchmarks/bench_study_scaleout.py [--sessions 24] [--size 128] [--points 41] [--pairs 50]
                                              [--cells 3] [--out DIR]

Simulates the sessions once (small ones, so that the whole run takes minutes: the paper's five
concentrations in turn, ``--cells`` cells each, through the virtual microscope), warms the numba cache with one
session in this process, then gives every way of running a fresh copy of the unanalysed sessions and times
``run_study_sessions`` from the call to the last result (worker start-up and, for dask, the cluster's start
included). Checks that every way gives the same cells, bit for bit, as the first. Prints the machine and the
load average before and after each run: on a shared machine the figures are only as good as that load.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.machine import describe_machine  # noqa: E402

WAYS = (("1 process", {"jobs": 1}), ("2 processes (--jobs 2)", {"jobs": 2}),
        ("dask LocalCluster, 2 workers (--scheduler local:2)", {"scheduler": "local:2"}))


def simulate(folder, n_sessions, size, points, pairs, cells):
    """n unanalysed sessions, the paper's concentrations in turn, each sample with its own seed."""
    from app.core.study_simulation import default_samples, sample_microscope, write_simulated_session

    paths = []
    for k in range(n_sessions):
        spec = default_samples(seed=k // 5, cells=[cells] * 5, mean_z_um=[10.0] * 5)[k % 5]
        path = os.path.join(folder, f"session_{k:03d}.h5")
        write_simulated_session(path, sample_microscope(spec, (size, size)), spec, pairs=pairs, n_points=points)
        paths.append(path)
    return paths


def _load():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=24)
    parser.add_argument("--size", type=int, default=128, help="frame side in pixels")
    parser.add_argument("--points", type=int, default=41, help="frequency steps per sweep")
    parser.add_argument("--pairs", type=int, default=50, help="on/off pairs per step")
    parser.add_argument("--cells", type=int, default=3, help="cells per session")
    parser.add_argument("--out", help="folder to work in (default: a temporary folder, removed afterwards)")
    args = parser.parse_args()

    from app.core.study_runner import run_study_sessions

    work = args.out or tempfile.mkdtemp(prefix="nvscope_scaleout_")
    template = os.path.join(work, "template")
    os.makedirs(template, exist_ok=True)
    print(f"machine: {describe_machine()}; load average (1/5/15 min) {_load()}")
    t0 = time.perf_counter()
    paths = simulate(template, args.sessions, args.size, args.points, args.pairs, args.cells)
    print(f"simulated {len(paths)} sessions of {args.size} x {args.size} x {args.points} ({args.pairs} pairs, "
          f"{args.cells} cells) in {time.perf_counter() - t0:.1f} s")
    warm = os.path.join(work, "warm")
    os.makedirs(warm, exist_ok=True)
    run_study_sessions([shutil.copy(paths[0], warm)])  # numba's cache is warm before anything is timed
    from app.core.study_dask import dask_client

    t0 = time.perf_counter()
    with dask_client("local:2"):
        pass
    print(f"a 2-worker LocalCluster alone starts and stops in {time.perf_counter() - t0:.1f} s")

    reference, rows = None, []
    for name, how in WAYS:
        folder = os.path.join(work, "run_" + "_".join(f"{k}{v}" for k, v in how.items()).replace(":", ""))
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        copies = [shutil.copy(p, folder) for p in paths]
        before = _load()
        t0 = time.perf_counter()
        run = run_study_sessions(copies, **how)
        wall = time.perf_counter() - t0
        if run.failures:
            raise SystemExit(f"{name}: {len(run.failures)} session(s) failed, e.g. {run.failures[0]}")
        if reference is None:
            reference = run
        else:
            for mine, theirs in zip(run.samples, reference.samples, strict=True):
                for key, values in theirs.values.items():
                    np.testing.assert_array_equal(mine.values[key], values, err_msg=f"{name}: {key} differs")
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in run.stage_seconds.items())
        rows.append((name, wall))
        print(f"{name}: {wall:.1f} s for {len(copies)} sessions ({len(copies) / wall:.2f} sessions/s; stage time "
              f"summed over workers: {stages}); {run.workers}; load before {before}, after {_load()}")
    print("same cells, bit for bit, every way: yes")
    base = rows[0][1]
    print("| way | wall time (s) | sessions/s | speed-up |")
    print("|---|---|---|---|")
    for name, wall in rows:
        print(f"| {name} | {wall:.1f} | {args.sessions / wall:.2f} | {base / wall:.2f} x |")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
