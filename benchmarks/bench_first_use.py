"""Wait on first use: each command in a fresh process, with an empty numba cache and with a warmed one.

    python benchmarks/bench_first_use.py [--size 64]

Commands: ``nvscope --help``, a usage error (``acquire --bad-option``), ``fit`` and ``analyze`` of a small
mock session (made first, outside the timings). "cold": NUMBA_CACHE_DIR points at an empty folder, as after
an install without the warm-up; "warm": the same after ``python -m analysis.warmup`` (what ``make run`` and
``make test`` do once after installing). Every command is a new process, as a user would start it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cache_dir, check=True):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), QT_QPA_PLATFORM="offscreen")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def _commands(session):
    return [
        ("nvscope --help", ["-m", "app.cli", "--help"], False),
        ("nvscope acquire --bad-option", ["-m", "app.cli", "acquire", "--bad-option"], False),
        ("nvscope fit (first)", ["-m", "app.cli", "fit", str(session)], True),
        ("nvscope analyze (first)", ["-m", "app.cli", "analyze", str(session)], True),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64, help="mock session size in pixels (square)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="nvscope_first_use_"))
    try:
        session = work / "s.h5"
        prep_cache = work / "prep_cache"
        _run(["-m", "app.cli", "acquire", "--mock", "--out", str(session), "--pairs", "4", "--size",
              str(args.size), str(args.size), "--cells", "2", "--seed", "1"], prep_cache)
        results = {}
        for label in ("cold", "warm"):
            cache = work / f"{label}_cache"
            cache.mkdir()
            if label == "warm":
                results["warm-up itself (python -m analysis.warmup, empty cache)"] = (
                    _run(["-m", "analysis.warmup"], cache), None)
            for name, command, check in _commands(session):
                # "cold" gives each command its own empty cache: each is the first command after an install
                own = cache if label == "warm" else work / f"cold_{len(results)}"
                results.setdefault(name, [None, None])
                results[name][0 if label == "cold" else 1] = _run(command, own, check)
        print(f"{'command':<58} {'cold cache':>11} {'warmed':>8}")
        for name, (cold, warm) in results.items():
            warm_text = "" if warm is None else f"{warm:7.2f} s"
            print(f"{name:<58} {cold:9.2f} s {warm_text:>9}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
