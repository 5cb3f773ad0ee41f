"""Nothing compiles at import: importing every analysis and instrument module (what the command line does
before it can even print --help) leaves every numba function uncompiled, even with an empty cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_warm_up_compiles_what_the_first_fit_and_analysis_call():
    import io

    from analysis import warmup
    from analysis.fitting.lm import lm_fit_batch
    from analysis.odmr import odmr_model
    from analysis.odmr.driver import fit_spectra
    from analysis.odmr.preprocess import _contrast_kernel
    from instruments.virtual_microscope.emccd import _emccd_frame_sum

    out = io.StringIO()
    warmup.warm_up(out)
    for kernel in (fit_spectra, lm_fit_batch, odmr_model, _contrast_kernel, _emccd_frame_sum):
        assert kernel.signatures, f"{kernel.__name__} was not compiled by the warm-up"
    assert "numba cache warm" in out.getvalue()
