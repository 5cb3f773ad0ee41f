"""Throughput of the CNN's training-data generator (issue 5 target: at least 5,000 snippets/s on 2 cores).

Run: ``.venv/bin/python -m benchmarks.bench_training_data`` (NUMBA_NUM_THREADS=2 is set). Prints the rate of the
whole generator and of its two steps: rendering the cell geometry (numba, parallel over snippets) and composing
mass, neighbours, background and noise (numpy).
"""

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.machine import describe_machine  # noqa: E402
from models.training_data import compose_snippets, generate_snippets, render_geometry  # noqa: E402

N = 20_000


def rate(fn, n, repeats=3):
    """Best of ``repeats`` rates (snippets/s): the least disturbed by other jobs on the machine."""
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main():
    generate_snippets(256, seed=0)  # compile the numba kernel
    whole = rate(lambda: generate_snippets(N, seed=1), N)
    render = rate(lambda: render_geometry(N, seed=2), N)
    geometry = render_geometry(N, seed=3)
    compose = rate(lambda: compose_snippets(geometry, np.random.default_rng(4)), N)
    print(f"machine: {describe_machine()}; NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}")
    print(f"generate_snippets  : {whole:8.0f} snippets/s  ({N} snippets, best of 3; target >= 5000)")
    print(f"  render_geometry  : {render:8.0f} snippets/s  (clusters 10-200 log-uniform, 0-3 neighbours)")
    print(f"  compose_snippets : {compose:8.0f} snippets/s  (mass, background, noise; what training redraws)")


if __name__ == "__main__":
    main()
