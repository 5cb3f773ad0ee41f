"""Nothing compiles at import: importing every analysis and instrument module (what the command line does
before it can even print --help) leaves every numba function uncompiled, even with an empty cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import importlib, json, pkgutil, sys
import numba.core.registry
import analysis, instruments
for package in (analysis, instruments):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".cells.cnn" in info.name or info.name.endswith("__main__") or info.name.endswith(".warmup"):
            continue  # onnxruntime (no numba) and the warm-up, which compiles on purpose when run
        importlib.import_module(info.name)
compiled = {}
for name, module in list(sys.modules.items()):
    if not name.startswith(("analysis", "instruments")):
        continue
    for attr, value in vars(module).items():
        if isinstance(value, numba.core.registry.CPUDispatcher) and value.overloads:
            compiled[f"{name}.{attr}"] = len(value.overloads)
print(json.dumps(compiled))
"""


def test_importing_everything_compiles_nothing(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty_cache"), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert compiled == {}, f"compiled at import (use lazy njit or njit_on_first_call): {compiled}"
