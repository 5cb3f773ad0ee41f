"""Fuzz the command line at scale (issue 13; figures in docs/safety.md):

    python benchmarks/fuzz_cli.py [--arguments 800] [--files 300] [--seed 0]

Every numeric option of acquire / fit / import / simulate-study / study given NaN, inf, negative, huge or
malformed values, and fit / analyze / export / recover / study on damaged session files. Prints counts of
clear errors / finished fine / tracebacks / hangs (> 10 s), the slowest answer, and each failure. The generator
and the worker are tests/fuzz/fuzz_cli.py (the CI test runs 160 inputs).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.fuzz.fuzz_cli import fuzz_cli  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arguments", type=int, default=800, help="fuzzed command lines")
    parser.add_argument("--files", type=int, default=300, help="commands on damaged session files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="copy the damaged files that failed into this folder")
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        result = fuzz_cli(folder, args.arguments, args.files, seed=args.seed, keep=args.keep)
    counts = result["counts"]
    print(f"{args.arguments} command lines + {args.files} commands on damaged files, seed {args.seed}: "
          f"clear errors {counts['clear']}, finished fine {counts['ok']}, tracebacks {counts['traceback']}, "
          f"hangs {counts['hang']}; slowest answer {result['max_s']:.2f} s; {time.monotonic() - start:.0f} s in all")
    for case, detail in result["failures"]:
        print(f"--- {case}\n{detail}")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
