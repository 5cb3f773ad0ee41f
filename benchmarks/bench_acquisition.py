"""Acquisition with the mock chain: software time per on/off frame pair (256 x 256 and 512 x 512), and the
peak memory of a 512 x 512 x 201-step acquisition with live fitting.

Run: ``.venv/bin/python -m benchmarks.bench_acquisition [--quick]``. Each measurement runs ``nvscope acquire``
in a fresh process (so its peak resident memory is its own) and reads the engine's time ledger: "camera" is the
mock camera's time (the virtual microscope rendering the frame stands in for the exposure and readout of a real
camera), everything else (RF commands, summing, the session file, the event loop) is software time: wall-clock,
and the process's CPU time spent in each part (all threads: the mock RF server's included), which a loaded
machine inflates far less. Both on/off schemes: "software" toggles the RF by command for every frame (two
settings per pair, each sent with its error-queue query as one compound message: one round trip each),
"alternating" lets the camera's trigger gate the RF.
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
        timings.update({f"{k}_cpu_s": v for k, v in self.timing.cpu_seconds.items()})
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


def report(size, pairs, scheme):
    t = run_acquire(["--pairs", pairs, "--size", size, size, "--cells", "10", "--scheme", scheme])
    n = t["pairs"]
    software = t["total_s"] - t["camera_s"]
    parts = ", ".join(f"{name} {1e3 * t.get(f'{name}_s', 0) / n:.2f}" for name in ("rf", "processing", "writing",
                                                                                  "other"))
    cpu = ", ".join(f"{name} {1e3 * t.get(f'{name}_cpu_s', 0) / n:.2f}" for name in ("rf", "processing", "writing"))
    print(f"{size}x{size}, 101 steps x {pairs} pairs, {scheme} on/off: {n} pairs in {t['total_s']:.1f} s; camera "
          f"(mock rendering) {t['camera_s']:.1f} s; software {software:.2f} s = {1e3 * software / n:.2f} ms per "
          f"pair ({parts} ms); process CPU time per pair: {cpu} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (for a smoke test)")
    parser.add_argument("--sizes", default=None, help="frame sizes, comma-separated (default 256,512)")
    parser.add_argument("--schemes", default="software,alternating",
                        help="on/off schemes, comma-separated: software (the RF toggled by command every frame), "
                        "alternating (the camera's trigger gates the RF: no command per pair)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 512 x 512 x 201 memory run")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}; load average {os.getloadavg()[0]:.2f}")

    pairs = "5" if args.quick else "30"
    sizes = args.sizes.split(",") if args.sizes else (("128",) if args.quick else ("256", "512"))
    for size in sizes:
        for scheme in args.schemes.split(","):
            report(size, pairs, scheme)
    if args.no_memory:
        return

    size = "128" if args.quick else "512"
    m = run_acquire(["--pairs", "1", "--size", size, size, "--cells", "20", "--window-ghz", "2.0233", "2.0353",
                     "201", "--live-fit-every", "50"])
    print(f"{size}x{size} x 201 steps with live fitting every 50 steps: peak resident memory "
          f"{m['peak_rss_mb']:.0f} MB (target < 2048 MB), wall {m['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
