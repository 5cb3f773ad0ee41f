"""``nvscope recover FILE``: a file left marked "open for writing" by a killed fit opens again with every step,
and a file it cannot recover gives one line and exit status 1 (issue 13)."""

import signal
import subprocess
import sys

import numpy as np
import pytest

from analysis.session import SessionInUseError, read_session
from app.cli.main import main
from tests.analysis.test_session_errors import make_session
from tests.analysis.test_session_safety import KILL_DURING_FIT


def test_recover_command_reopens_the_file_of_a_killed_fit(tmp_path, capsys):
    path = make_session(tmp_path / "k.h5")
    before = read_session(path)
    assert subprocess.run([sys.executable, "-c", KILL_DURING_FIT, str(path)]).returncode == -signal.SIGKILL
    with pytest.raises(SessionInUseError, match=f"nvscope recover {path}") as caught:
        read_session(path)
    assert "recover_session" not in str(caught.value)  # the messages name commands, never Python functions
    assert main(["recover", str(path)]) == 0
    out = capsys.readouterr().out
    assert "cleared the stale 'open for writing' mark" in out and "3 of 3 steps" in out
    assert np.array_equal(read_session(path).on_sum, before.on_sum)


def test_recover_command_answers_a_foreign_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "notes.h5"
    path.write_bytes(b"not an HDF5 file at all\n" * 10)
    assert main(["recover", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("nvscope recover: error:") and "\n" not in err and str(path) in err
