"""Fuzzed session files (flipped bytes, truncations, foreign bytes, wrong-typed datasets, links, huge
declared shapes; finished and live files) and configurations (flipped bytes, truncations, deep nesting,
wrong types): each must open fine or fail with the typed error meant for users (SessionError /
ConfigError); a traceback, a builtin error or a hang (> 10 s) fails the test. Deterministic (seeded).
benchmarks/fuzz_sessions.py runs the same generator over thousands of inputs (docs/safety.md)."""

import pytest

from tests.fuzz.fuzz_engine import fuzz


@pytest.mark.slow
def test_fuzzed_sessions_and_configs_give_clear_errors_or_open(tmp_path):
    result = fuzz(str(tmp_path), n_sessions=60, n_configs=60, seed=13, live_every=4)
    counts = result["counts"]
    assert sum(counts.values()) == 120
    assert result["failures"] == [], "\n\n".join(f"{k} {what}: {detail}" for k, what, detail in result["failures"])
    assert counts["clear"] >= 60  # most damage is detected, not silently read
