"""Fuzzing the command line: every numeric option of acquire, fit, import, simulate-study and study given NaN,
inf, negative, huge, malformed values, and fit / analyze / export / recover / study run on damaged session files
(``fuzz_engine.mutate_session``). Each input runs ``app.cli.main.main(argv)`` in a worker process that answers
one line per input, so a hang (no answer within 10 s) is caught and the worker replaced. Used by
tests/fuzz/test_fuzz_cli.py (CI) and benchmarks/fuzz_cli.py (docs/safety.md).

Outcomes: "ok" (exit status 0), "clear" (non-zero, the error said in lines without a traceback), "traceback"
(an exception escaped ``main``, or a traceback was printed), "hang" (no answer within the limit).
"""

import argparse
import os
import shutil

import numpy as np

from tests.fuzz.fuzz_engine import HANG_S, Worker, make_base_sessions, mutate_session

BAD_VALUES = ("nan", "inf", "-inf", "-1", "0", "-0", "1e18", "1e400", "99999999999999999999", "1.5", "abc", "",
              "0x10", "1e-320", "NaN", "+inf")
"""Numbers a user (or a script) can type that are invalid or absurd for most options."""

WORKER_CLI = r"""
import contextlib, io, json, sys, traceback
from app.cli.main import main

def run(argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
    except BaseException as exc:
        return ["traceback", "".join(traceback.format_exception(exc))[-1500:]]
    text = err.getvalue()
    if "Traceback (most recent call last)" in text:
        return ["traceback", text[-1500:]]
    if code in (0, None):
        return ["ok", ""]
    return ["clear", (text.strip().splitlines() or ["(no message)"])[-1][:300]]

for argv in json.loads(sys.argv[1]):  # warm-up: numba's compilation, imports
    run(argv)
print("ready", flush=True)
for line in sys.stdin:
    _, argv = json.loads(line)
    print(json.dumps(run(argv)), flush=True)
"""


def base_commands(folder, session):
    """A small valid command line per command (the fuzzed option is appended: argparse's last value wins)."""
    out = os.path.join(folder, "out")
    field_map = os.path.join(folder, "map.npy")  # a field map from "another setup", in microtesla
    np.save(field_map, np.random.default_rng(0).normal(0.0, 1.0, (16, 16)))
    return {
        "acquire": ["acquire", "--mock", "--force", "--out", out + ".h5", "--size", "16", "16", "--points", "3",
                    "--pairs", "1", "--cells", "1"],
        "fit": ["fit", session],
        "simulate-study": ["simulate-study", "--out", out, "--force", "--concentrations", "5", "--cells", "1",
                           "--size", "16", "16", "--pairs", "1", "--points", "5"],
        "study": ["study", session, "--no-cnn"],
        "import": ["import", field_map, "--out", out + "_imported.h5", "--force", "--units", "microtesla",
                   "--pixel-size-um", "1"],
    }


def numeric_options():
    """{command: [(option, nargs)]} of every option whose value is converted to a number."""
    from app.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    options = {}
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if action.option_strings and action.type is not None:
                nargs = action.nargs if isinstance(action.nargs, int) else 1
                options.setdefault(name, []).append((action.option_strings[0], nargs))
    return options


def argument_case(rng, commands, options):
    """One command line with one numeric option given fuzzed (and, for several values, partly valid) values."""
    name = str(rng.choice(sorted(set(commands) & set(options))))
    option, nargs = options[name][int(rng.integers(len(options[name])))]
    values = [str(rng.choice(BAD_VALUES)) if rng.random() < 0.7 or k == 0 else str(int(rng.integers(1, 40)))
              for k in range(nargs)]
    return f"{name} {option} {' '.join(values)}", [*commands[name], option, *values]


def file_case(rng, folder, bases, i):
    """One command run on a damaged copy of a session."""
    path = os.path.join(folder, f"case{i}.h5")
    what = mutate_session(bases[int(rng.integers(2))], path, rng)
    out = os.path.join(folder, f"case{i}_out")
    name = str(rng.choice(["fit", "analyze", "export", "recover", "study"]))
    argv = {"export": ["export", path, "--what", str(rng.choice(["field-map", "fit-maps", "cells"])), "--out",
                       out + ".tif"],
            "study": ["study", path, "--no-cnn"]}.get(name, [name, path])
    return f"{name} on {what}", argv


def fuzz_cli(folder, n_arguments, n_files, seed=0, hang_s=HANG_S, log=None, keep=None):
    """Run the inputs; returns {"counts": {outcome: n}, "failures": [(case, detail)], "max_s": slowest}."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bases = make_base_sessions(folder)
    session = os.path.join(folder, "valid.h5")
    shutil.copy(bases[0], session)
    commands, options = base_commands(folder, session), numeric_options()
    warm_up = repr([commands["fit"], commands["acquire"]])  # numba compiles here, not in a timed input
    worker = Worker(repo, script=WORKER_CLI.replace("json.loads(sys.argv[1])", warm_up), ready_s=600)
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "clear": 0, "traceback": 0, "hang": 0}
    failures, slowest = [], 0.0
    try:
        for i in range(n_arguments + n_files):
            shutil.copy(bases[0], session)  # a command before may have added results to it
            case, argv = (argument_case(rng, commands, options) if i < n_arguments
                          else file_case(rng, folder, bases, i))
            outcome, detail, seconds = worker.run("cli", argv, hang_s)
            counts[outcome] += 1
            slowest = max(slowest, seconds)
            if outcome in ("traceback", "hang"):
                failures.append((case, detail))
                if keep and i >= n_arguments:
                    os.makedirs(keep, exist_ok=True)
                    shutil.copy(argv[1], os.path.join(keep, f"{i}.h5"))
            if log:
                log(i, case, outcome, seconds, detail)
    finally:
        worker.close()
    return {"counts": counts, "failures": failures, "max_s": slowest}
