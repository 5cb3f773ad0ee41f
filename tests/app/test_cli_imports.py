"""``nvscope --help`` and a usage error answer without loading numpy, scipy, h5py or the analysis and instrument
packages (each command imports what it needs in its handler): under a second even on a cold machine."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "h5py", "numba", "analysis", "instruments", "PyQt6", "onnxruntime", "matplotlib")


@pytest.mark.parametrize("argv", [["--help"], ["acquire", "--bad-option"], ["analyze", "--help"]])
def test_help_and_usage_errors_load_only_argparse(argv):
    code = (f"import sys\nfrom app.cli.main import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
