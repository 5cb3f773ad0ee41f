"""Fuzzing session files and configurations: damaged inputs made from valid ones with a seeded generator,
each opened by a worker process that answers one line per input, so a hang (no answer within the limit)
is caught, counted and the worker replaced. Used by tests/fuzz (a few hundred inputs, in CI) and by
benchmarks/fuzz_sessions.py (thousands, for docs/safety.md).

Outcomes: "ok" (opened and used fine), "clear" (the typed error meant for users: SessionError /
ConfigError), "traceback" (any other exception: a bug), "hang" (no answer within the limit).
"""

import json
import os
import select
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

HANG_S = 10.0
SHAPE = (12, 10)
N_STEPS = 6


def make_base_sessions(folder):
    """A finished session (dark frame, fit maps) and a copy of one whose writer still held it ("running")."""
    from analysis.session import SessionWriter, write_fit_results

    rng = np.random.default_rng(0)
    freqs = [np.linspace(2.80e9, 2.81e9, N_STEPS // 2), np.linspace(2.93e9, 2.94e9, N_STEPS // 2)]
    finished, live = os.path.join(folder, "finished.h5"), os.path.join(folder, "live.h5")
    writer = SessionWriter.create(finished, frame_shape=SHAPE, freq_hz=freqs, plan={"pairs": 4},
                                  instrument_settings={"rf": "mock"}, sample_metadata={"name": "fuzz"},
                                  dark_frame_adu=np.full(SHAPE, 99.6))
    for step in range(N_STEPS):
        on = rng.poisson(5e4, SHAPE)
        writer.write_step(step, 0, on, on + 50, 4, 0.0, 1.0)
        if step == N_STEPS // 2:
            shutil.copyfile(finished, live)
    writer.finish()
    write_fit_results(finished, {"f_minus_hz": np.full(SHAPE, 2.805e9), "width_hz": np.full(SHAPE, 5e6)})
    return finished, live


def _flip(data, rng, n, limit):
    for offset in rng.integers(0, min(limit, len(data)), n):
        data[offset] ^= int(rng.integers(1, 256))


def _retype(path, rng):
    """Replace one dataset by one of another dtype/shape, or add a link or a huge declared dataset."""
    with h5py.File(path, "r+") as h5:
        names = []
        h5.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        name = names[int(rng.integers(len(names)))]
        choice = int(rng.integers(7))
        if choice == 5:
            h5["acquisition/extra"] = h5py.ExternalLink("elsewhere.h5", "/x")
            return
        if choice == 6:
            h5.create_group("truth").create_dataset("big", shape=(2**22, 2**22), dtype="f8", chunks=(1, 64))
            return
        del h5[name]
        h5[name] = [np.float64(rng.normal()), np.arange(3), "text", np.zeros((2, 2, 2)), np.int8(-1)][choice]


def mutate_session(base, out, rng):
    """One damaged copy of ``base`` at ``out``; returns a short description."""
    data = bytearray(open(base, "rb").read())
    kind = int(rng.integers(5))
    if kind == 4 and data[11]:  # a live file cannot be edited with h5py (its writer's mark): damage its bytes
        kind = 1
    if kind == 0:
        _flip(data, rng, int(rng.integers(1, 6)), 4096)
        what = "flip-head"
    elif kind == 1:
        _flip(data, rng, int(rng.integers(1, 20)), len(data))
        what = "flip-any"
    elif kind == 2:
        data = data[: int(rng.integers(0, len(data)))]
        what = "truncate"
    elif kind == 3:
        data = data[:48] if rng.random() < 0.3 else bytearray(rng.integers(0, 256, int(rng.integers(1, 5000)),
                                                                         dtype=np.uint8).tobytes())
        what = "foreign"
    else:
        with open(out, "wb") as fh:
            fh.write(data)
        _retype(out, rng)
        return "retype"
    with open(out, "wb") as fh:
        fh.write(data)
    return what


def mutate_config(base_text, out, rng):
    data = bytearray(base_text.encode())
    kind = int(rng.integers(4))
    if kind == 0:
        _flip(data, rng, int(rng.integers(1, 8)), len(data))
    elif kind == 1:
        data = data[: int(rng.integers(0, len(data)))]
    elif kind == 2:
        data = bytearray(b"a = " + b"[" * int(rng.integers(100, 6000)) if rng.random() < 0.5 else
                         b"[rf]\n" + b"x." * int(rng.integers(100, 3000)) + b"y = 1\n")
    else:
        key = rng.choice(["timeout_s", "max_power_dbm", "driver", "resource", "dialect"])
        value = rng.choice(["nan", "inf", "-1", "\"x\"", "[1, 2]", "{a = 1}", "true", "1e400", "2020-01-01"])
        data = bytearray(f"[rf]\n{key} = {value}\n".encode())
    with open(out, "wb") as fh:
        fh.write(bytes(data))
    return ["flip", "truncate", "nesting", "retype"][kind]


WORKER = r"""
import json, sys, traceback
from analysis.session import SessionError, SessionReader, read_session
from instruments.config import load_config
from instruments.errors import ConfigError
for line in sys.stdin:
    kind, path = json.loads(line)
    try:
        if kind == "session":
            session = read_session(path)
            session.spin_contrast()
            if session.status == "running":
                with SessionReader(path) as reader:
                    reader.read_step(0)
        else:
            load_config(path)
        answer = ["ok", ""]
    except (SessionError, ConfigError) as exc:
        answer = ["clear", str(exc).splitlines()[0][:300]]
    except BaseException as exc:
        answer = ["traceback", "".join(traceback.format_exception(exc))[-1500:]]
    print(json.dumps(answer), flush=True)
"""


class Worker:
    """A Python process that opens inputs one at a time; replaced when it hangs."""

    def __init__(self, cwd, script=WORKER, ready_s=None):
        """``script``: the worker's code; ``ready_s``: wait this long for its first line ("ready", after a
        warm-up such as numba's compilation) before timing any input."""
        self.cwd = cwd
        self.script = script
        self.ready_s = ready_s
        self.process = None

    def _start(self):
        self.process = subprocess.Popen([sys.executable, "-c", self.script], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=self.cwd, bufsize=1)
        if self.ready_s is not None:
            ready, _, _ = select.select([self.process.stdout], [], [], self.ready_s)
            if not ready or self.process.stdout.readline().strip() != "ready":
                self.close()
                raise RuntimeError(f"the fuzz worker did not start within {self.ready_s:g} s")

    def run(self, kind, path, hang_s=HANG_S):
        """(outcome, detail, seconds)."""
        if self.process is None:
            self._start()
        start = time.monotonic()
        self.process.stdin.write(json.dumps([kind, path]) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], hang_s)
        if not ready:
            self.close()
            return "hang", f"no answer within {hang_s:g} s", time.monotonic() - start
        line = self.process.stdout.readline()
        if not line:
            self.close()
            return "traceback", "the worker process died", time.monotonic() - start
        outcome, detail = json.loads(line)
        return outcome, detail, time.monotonic() - start

    def close(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def fuzz(folder, n_sessions, n_configs, seed=0, hang_s=HANG_S, log=None, live_every=2, keep=None):
    """Run the inputs (every ``live_every``-th session made from the live file: those that HDF5 cannot
    read cost up to the probe's deadline each); returns {"counts": {outcome: n}, "failures":
    [(kind, what, detail)], "max_s": slowest answer in s}. ``keep``: a folder to copy failing inputs into."""
    from instruments.config import default_config_path

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bases = make_base_sessions(folder)
    config_text = open(default_config_path(), encoding="utf-8").read()
    rng = np.random.default_rng(seed)
    worker = Worker(repo)
    counts = {"ok": 0, "clear": 0, "traceback": 0, "hang": 0}
    failures, slowest = [], 0.0
    try:
        for i in range(n_sessions + n_configs):
            if i < n_sessions:
                kind, path = "session", os.path.join(folder, f"case{i}.h5")
                what = mutate_session(bases[int(i % live_every == 1)], path, rng)
            else:
                kind, path = "config", os.path.join(folder, f"case{i}.toml")
                what = mutate_config(config_text, path, rng)
            outcome, detail, seconds = worker.run(kind, path, hang_s)
            counts[outcome] += 1
            slowest = max(slowest, seconds)
            if outcome in ("traceback", "hang"):
                failures.append((kind, what, detail))
                if keep:  # a folder for the inputs that failed, to reproduce them
                    os.makedirs(keep, exist_ok=True)
                    shutil.copy(path, os.path.join(keep, f"{i}-{what}{os.path.splitext(path)[1]}"))
            if log:
                log(i, kind, what, outcome, seconds)
            os.remove(path)
    finally:
        worker.close()
    return {"counts": counts, "failures": failures, "max_s": slowest}
