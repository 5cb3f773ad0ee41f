"""Fuzzed command lines (NaN, inf, negative, huge, malformed values for every numeric option of acquire, fit,
import, simulate-study and study) and commands run on damaged session files (fit, analyze, export, recover,
study): each must finish or fail with a message, never a traceback or a builtin error, and never take more than
10 s (issue 13). Deterministic (seeded). benchmarks/fuzz_cli.py runs the same generator at scale."""

import pytest

from tests.fuzz.fuzz_cli import fuzz_cli


@pytest.mark.slow
def test_fuzzed_command_lines_and_damaged_files_give_clear_errors(tmp_path):
    result = fuzz_cli(str(tmp_path), n_arguments=120, n_files=40, seed=13)
    counts = result["counts"]
    assert sum(counts.values()) == 160
    assert result["failures"] == [], "\n\n".join(f"{case}: {detail}" for case, detail in result["failures"])
    assert counts["clear"] >= 100  # most of these inputs are wrong and must be refused, not used
