"""Every shell line of the README's command-line block, run as written (bash, in a temp folder), exits 0 and
leaves the files it names. The block's first line activates the venv; here ``.venv/bin/activate`` is a stand-in
that puts an ``nvscope`` running this checkout (this interpreter, ``-m app.cli``) on PATH."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_command_lines():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Command line"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _stand_in_venv(folder):
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "nvscope"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m app.cli "$@"\n')
    script.chmod(0o755)
    (bin_dir / "activate").write_text(f'export PATH="{bin_dir}:$PATH"\n')


def test_the_block_starts_by_activating_the_venv_and_uses_the_quick_presets():
    lines = readme_command_lines()
    assert lines[0] == "source .venv/bin/activate"
    assert all(line.startswith("nvscope ") for line in lines[1:])
    assert "--quick" in lines[1] and any("simulate-study --quick" in line for line in lines)


@pytest.mark.slow
def test_every_readme_command_line_runs_as_written(tmp_path):
    _stand_in_venv(tmp_path)
    lines = readme_command_lines()
    script = "set -e\n" + "".join(f"echo '>>> {line}' >&2\n{line}\n" for line in lines)
    out = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "about " in out.stderr and "Ctrl-C stops" in out.stderr  # the estimate before the sweep
    for name in ("s.h5", "report.html", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert len(list((tmp_path / "study").glob("*.h5"))) == 5
    assert "cells" in out.stderr and "wrote report.html" in out.stderr
