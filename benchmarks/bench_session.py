"""Session file speed and size at the real instrument's scale: 256 x 256 pixels x 101 frequency steps.

Each step's sums are those of 300 on/off frame pairs of ~20000 ADU per frame under a Gaussian laser spot
(sums ~6e6 ADU) with an ODMR dip and shot-like noise of sqrt(counts). Measures the time of
SessionWriter.write_step (first sweep: fresh chunks; second sweep: read + add + journal + rewrite), the
file size against 2 x the float32 size of the on/off arrays (the issue's bound), the time of finish()
(which compacts the file when later sweeps replaced steps) and of read_session.

    python benchmarks/bench_session.py [--rows 256 --cols 256 --steps 101 --sweeps 2]
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.session import SessionWriter, read_session  # after the path set-up


def realistic_step_sums(rng, shape, freq_index, n_steps, n_frames=300, mean_adu=20000.0):
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    spot = np.exp(-2.0 * ((rows - shape[0] / 2) ** 2 + (cols - shape[1] / 2) ** 2) / (0.9 * max(shape)) ** 2)
    detuning = (freq_index - n_steps / 2) / (n_steps / 10)
    off_mean = n_frames * mean_adu * spot
    on_mean = off_mean * (1.0 - 0.015 / (1.0 + detuning**2))
    off = np.rint(off_mean + rng.standard_normal(shape) * np.sqrt(off_mean)).astype(np.uint64)
    on = np.rint(on_mean + rng.standard_normal(shape) * np.sqrt(on_mean)).astype(np.uint64)
    return on, off


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, h5py {h5py.__version__}, "
            f"HDF5 {h5py.version.hdf5_version}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--cols", type=int, default=256)
    parser.add_argument("--steps", type=int, default=101)
    parser.add_argument("--sweeps", type=int, default=2)
    parser.add_argument("--folder", default=None, help="where to write the file (default: a temp folder)")
    args = parser.parse_args()
    shape = (args.rows, args.cols)
    rng = np.random.default_rng(0)
    print(f"machine: {machine()}")
    print(f"session: {shape[0]} x {shape[1]} pixels, {args.steps} steps, {args.sweeps} sweeps, "
          "300 pairs of ~20000 ADU frames per step and sweep")
    data = [[realistic_step_sums(rng, shape, step, args.steps) for step in range(args.steps)]
            for _ in range(args.sweeps)]
    float32_bytes = 2 * args.steps * shape[0] * shape[1] * 4
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / "bench.h5"
        t0 = time.perf_counter()
        writer = SessionWriter.create(path, frame_shape=shape, freq_hz=np.linspace(2.02e9, 2.04e9, args.steps),
                                      plan={"pairs_per_step": 300}, instrument_settings={}, sample_metadata={},
                                      app_version="bench")
        print(f"create: {1e3 * (time.perf_counter() - t0):.1f} ms")
        for sweep in range(args.sweeps):
            times = []
            for step in range(args.steps):
                on, off = data[sweep][step]
                t = time.perf_counter()
                writer.write_step(step, sweep, on, off, 300, 0.0, 1.0)
                times.append(time.perf_counter() - t)
            times_ms = 1e3 * np.array(times)
            size = path.stat().st_size
            print(f"sweep {sweep + 1}: write_step median {np.median(times_ms):.1f} ms, max {times_ms.max():.1f} ms "
                  f"({'fresh chunks' if sweep == 0 else 'accumulate + journal'}); file {size / 1e6:.1f} MB = "
                  f"{size / float32_bytes:.3f} x float32 arrays ({float32_bytes / 1e6:.1f} MB), "
                  f"{size / (2 * args.steps * shape[0] * shape[1]):.2f} bytes per value")
        t = time.perf_counter()
        writer.finish()
        finish_s = time.perf_counter() - t
        size = path.stat().st_size
        print(f"finish (records status{', compacts the file' if args.sweeps > 1 else ''}): {finish_s:.2f} s")
        t = time.perf_counter()
        session = read_session(path)
        read_s = time.perf_counter() - t
        assert session.n_steps_completed == args.steps
        limit = 2 * float32_bytes
        print(f"final file {size / 1e6:.1f} MB; bound 2 x float32 = {limit / 1e6:.1f} MB; ratio to bound "
              f"{size / limit:.3f} -> {'OK' if size < limit else 'OVER'}")
        print(f"read_session: {read_s:.2f} s")


if __name__ == "__main__":
    main()
