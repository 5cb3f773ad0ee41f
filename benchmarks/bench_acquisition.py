"""Acquisition with the mock chain: software time per on/off frame pair (256 x 256 and 512 x 512), and the
peak memory of a 512 x 512 x 201-step acquisition with live fitting.

Run: ``.venv/bin/python -m benchmarks.bench_acquisition [--quick]``. Each measurement runs ``nvscope acquire``
in a fresh process (so its peak resident memory is its own) and reads the engine's time ledger: "camera" is the
mock camera's time (the virtual microscope rendering the frame stands in for the exposure and readout of a real
camera), everything else (RF commands, summing, the session file, the event loop) is software time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benchmarks.machine import describe_machine

_CHILD = r"""
import json, resource, sys, time
from app.cli.main import build_parser

import instruments.sweep.engine as engine_module

timings = {}
class Recording(engine_module.SweepEngine):
    def run(self):
        status = super().run()
        timings.update(self.timing.report())
        timings["pairs"] = int(self.n_pairs.sum())
        return status
import instruments.sweep as sweep_pkg
sweep_pkg.SweepEngine = Recording
args = build_parser().parse_args(sys.argv[1:])
t0 = time.perf_counter()
code = args.handler(args)
timings["wall_s"] = time.perf_counter() - t0
timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(timings))
sys.exit(code)
"""


def run_acquire(extra):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", _CHILD, "acquire", "--mock", "--out", os.path.join(tmp, "s.h5"), *extra]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (for a smoke test)")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")

    pairs = "5" if args.quick else "30"
    sizes = ("128",) if args.quick else ("256", "512")
    for size in sizes:
        t = run_acquire(["--pairs", pairs, "--size", size, size, "--cells", "10"])
        software = t["total_s"] - t["camera_s"]
        print(f"{size}x{size}, 101 steps x {pairs} pairs, software on/off: {t['pairs']} pairs in {t['total_s']:.1f} s; "
              f"camera (mock rendering) {t['camera_s']:.1f} s; software {software:.2f} s = "
              f"{1e3 * software / t['pairs']:.2f} ms per pair (rf {1e3 * t.get('rf_s', 0) / t['pairs']:.2f}, "
              f"processing {1e3 * t.get('processing_s', 0) / t['pairs']:.2f}, writing "
              f"{1e3 * t.get('writing_s', 0) / t['pairs']:.2f}, other {1e3 * t.get('other_s', 0) / t['pairs']:.2f} ms)")

    size = "128" if args.quick else "512"
    m = run_acquire(["--pairs", "1", "--size", size, size, "--cells", "20", "--window-ghz", "2.0233", "2.0353",
                     "201", "--live-fit-every", "50"])
    print(f"{size}x{size} x 201 steps with live fitting every 50 steps: peak resident memory "
          f"{m['peak_rss_mb']:.0f} MB (target < 2048 MB), wall {m['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
