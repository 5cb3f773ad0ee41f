"""SIGKILL at random moments of ``nvscope acquire``, ``fit`` and ``analyze`` (issue 13; docs/safety.md):

    python benchmarks/kill_test.py [--kills 30] [--seed 0]

Each run starts the command (``python -m app.cli ...``, mock instruments), kills it after a random delay
within the command's measured duration, then checks the file: readable by read_session (directly, or
after recover_session), and no acquisition data lost: after a killed fit/analyze the acquisition arrays are
bit-identical to before; after a killed acquire, every step the command had reported done is in the file.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analysis.session import SessionError, read_session, recover_session  # noqa: E402

ACQUIRE = ["acquire", "--mock", "--size", "64", "64", "--pairs", "4", "--cells", "3",
           "--window-ghz", "2.80", "2.94", "61"]


def cli(args):
    return [sys.executable, "-m", "app.cli", *args]


def timed(args, cwd):
    start = time.monotonic()
    subprocess.run(cli(args), cwd=cwd, check=True, capture_output=True)
    return time.monotonic() - start


def open_after(path):
    """(readable, recovered, session or None)."""
    try:
        return True, False, read_session(path)
    except SessionError:
        pass
    try:
        recover_session(path, force=True)
        return True, True, read_session(path)
    except SessionError:
        return False, True, None


def steps_reported(stderr_text):
    """Highest step count the progress bar printed ("n/N")."""
    found = [int(m) for m in re.findall(r"(\d+)/\d+", stderr_text)]
    return max(found, default=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30, help="kills per command")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as folder:
        base = os.path.join(folder, "base.h5")
        durations = {"acquire": timed([*ACQUIRE, "--out", base], repo)}
        reference = read_session(base)
        fitted = os.path.join(folder, "fitted.h5")
        shutil.copyfile(base, fitted)
        durations["fit"] = timed(["fit", fitted], repo)
        durations["analyze"] = timed(["analyze", fitted], repo)
        print("durations (s): " + ", ".join(f"{k} {v:.1f}" for k, v in durations.items()))
        for command in ("acquire", "fit", "analyze"):
            tally = {"killed": 0, "finished first": 0, "readable": 0, "needed recover": 0, "steps lost": 0}
            for i in range(args.kills):
                path = os.path.join(folder, f"{command}{i}.h5")
                if command == "acquire":
                    argv = [*ACQUIRE, "--out", path]
                else:
                    shutil.copyfile(fitted if command == "analyze" else base, path)
                    argv = [command, path]
                child = subprocess.Popen(cli(argv), cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True)
                time.sleep(float(rng.uniform(0.3, durations[command])))
                child.send_signal(signal.SIGKILL)
                _, err = child.communicate()
                if child.returncode != -signal.SIGKILL:
                    tally["finished first"] += 1
                tally["killed"] += child.returncode == -signal.SIGKILL
                if not os.path.exists(path):  # killed before the file was created: nothing to lose
                    tally["readable"] += 1
                    continue
                readable, recovered, session = open_after(path)
                tally["readable"] += readable
                tally["needed recover"] += recovered and readable
                if session is None:
                    continue
                if command == "acquire":
                    tally["steps lost"] += max(0, steps_reported(err) - session.n_steps_completed)
                else:
                    same = all(np.array_equal(getattr(session, n), getattr(reference, n))
                               for n in ("on_sum", "off_sum", "n_pairs", "freq_hz", "step_done"))
                    tally["steps lost"] += 0 if same else reference.n_steps
                os.remove(path)
            print(f"{command}: {args.kills} runs, " + ", ".join(f"{k} {v}" for k, v in tally.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
