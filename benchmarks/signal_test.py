"""Signals sent to a real ``nvscope acquire`` at random moments (issue 13; figures in docs/safety.md):

    python benchmarks/signal_test.py [--runs 5] [--seed 0]

For each of SIGINT, SIGTERM and SIGHUP (a closed terminal), ``--runs`` acquisitions whose RF generator is the
mock SCPI server in a process of its own (``[rf] driver = "scpi"``), each signalled 0-1.5 s after its first
step, once with the software on/off scheme (the engine toggles the RF every frame: mostly off between
frames) and once with the alternating one (the RF stays on for a whole step). The RF output is asked just
before the signal and after the command exits; the table gives the exit status, the RF after exit, the
session's status and the steps lost (reported by the command's progress lines but missing from the file).
"""

import argparse
import itertools
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analysis.session import read_session  # noqa: E402
from tests.app.test_acquire_signals import PROGRESS, _acquire, ask  # noqa: E402


def one_run(folder, resource, signum, delay_s, scheme):
    out, child = _acquire(folder, resource, scheme)
    lines = []
    while not lines or not PROGRESS.search(lines[-1]):
        line = child.stderr.readline()
        if not line:
            raise RuntimeError("".join(lines))
        lines.append(line)
    time.sleep(delay_s)
    rf_before = ask(resource, "OUTP?")
    child.send_signal(signum)
    _, rest = child.communicate(timeout=60)
    text = "".join(lines) + rest
    session = read_session(out)
    reported = max(int(m.group(1)) for m in PROGRESS.finditer(text))
    kept = re.search(r"(\d+) completed steps kept in", text)
    return {"code": child.returncode, "rf_before": rf_before, "rf_after": ask(resource, "OUTP?"),
            "status": session.status, "lost": max(0, reported - session.n_steps_completed),
            "claimed_ok": kept is not None and int(kept.group(1)) == session.n_steps_completed,
            "traceback": "Traceback" in text}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per signal")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    server = subprocess.Popen([sys.executable, "-m", "tests.instruments.scpi_server_process"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    resource = server.stdout.readline().strip()
    print("| signal | scheme | runs | RF on when signalled | exit status | RF on after exit | session status "
          "| steps lost | tracebacks |\n|---|---|---|---|---|---|---|---|---|")
    try:
        for signum, scheme in itertools.product((signal.SIGINT, signal.SIGTERM, signal.SIGHUP),
                                                ("software", "alternating")):
            results = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as folder:
                    results.append(one_run(Path(folder), resource, signum, float(rng.uniform(0.0, 1.5)), scheme))
            codes = sorted({r["code"] for r in results})
            statuses = sorted({r["status"] for r in results})
            rf_on = sum(r["rf_before"] == "1" for r in results)
            print(f"| {signal.Signals(signum).name} | {scheme} | {len(results)} | {rf_on} "
                  f"| {', '.join(map(str, codes))} | {sum(r['rf_after'] != '0' for r in results)} "
                  f"| {', '.join(statuses)} | {sum(r['lost'] for r in results)} "
                  f"| {sum(r['traceback'] or not r['claimed_ok'] for r in results)} |", flush=True)
    finally:
        server.stdin.close()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
