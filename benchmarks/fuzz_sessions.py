"""Fuzz session files and configurations at scale (issue 13; figures in docs/safety.md):

    python benchmarks/fuzz_sessions.py [--sessions 1000] [--configs 300] [--seed 0]

Prints counts of clear errors / opened fine / tracebacks / hangs (> 10 s), the slowest answer, and each
failure. The generator and the worker are tests/fuzz/fuzz_engine.py (the CI test runs 120 inputs).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.fuzz.fuzz_engine import fuzz  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--configs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="copy the inputs that failed into this folder")
    parser.add_argument("--live-every", type=int, default=2, help="every N-th session from a live (SWMR) file")
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        result = fuzz(folder, args.sessions, args.configs, seed=args.seed, live_every=args.live_every, keep=args.keep)
    counts = result["counts"]
    print(f"{args.sessions} session files + {args.configs} configs, seed {args.seed}: "
          f"clear errors {counts['clear']}, opened fine {counts['ok']}, tracebacks {counts['traceback']}, "
          f"hangs {counts['hang']}; slowest answer {result['max_s']:.2f} s; {time.monotonic() - start:.0f} s in all")
    for kind, what, detail in result["failures"]:
        print(f"--- {kind} {what}\n{detail}")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
