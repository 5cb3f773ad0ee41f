"""CNN inference speed through onnxruntime (issue 5 target: at most 1 ms per snippet in batches, 2 cores).

Run: ``.venv/bin/python -m benchmarks.bench_cnn_inference``. Times ``CellCNN.predict`` (the committed model,
2 intra-op threads) on batches of 256 simulated snippets, and a single snippet (the click-a-dipole case).
"""

import time

import numpy as np

from analysis.cells import CellCNN
from benchmarks.machine import describe_machine
from models.training_data import generate_snippets

BATCH = 256


def median_seconds(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.min(times))


def main():
    cnn = CellCNN()
    snippets, _ = generate_snippets(BATCH, seed=7)
    batch_med, batch_min = median_seconds(lambda: cnn.predict(snippets), 30)
    one_med, _ = median_seconds(lambda: cnn.predict(snippets[:1]), 200)
    print(f"machine: {describe_machine()}; onnxruntime intra-op threads 2; model {cnn.identity()['sha256'][:12]}")
    print(f"batch of {BATCH}: {1e3 * batch_med / BATCH:.3f} ms/snippet median "
          f"({1e3 * batch_min / BATCH:.3f} best; target <= 1 ms)")
    print(f"single snippet: {1e3 * one_med:.2f} ms")


if __name__ == "__main__":
    main()
