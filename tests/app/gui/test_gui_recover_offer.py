"""File > Open on the file of a killed fit offers to recover it, and opens it afterwards (issue 13)."""

import signal
import subprocess
import sys

from PyQt6.QtWidgets import QMessageBox

from tests.analysis.test_session_errors import make_session
from tests.analysis.test_session_safety import KILL_DURING_FIT
from tests.gui_helpers import open_window


def test_open_offers_recovery_then_opens(qtbot, tmp_path, monkeypatch):
    path = make_session(tmp_path / "k.h5")
    assert subprocess.run([sys.executable, "-c", KILL_DURING_FIT, str(path)]).returncode == -signal.SIGKILL
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr("app.gui.review_mode.ask_pixel_size_um", lambda *args: 0.5)  # an old-style test file
    window, _ = open_window(qtbot, tmp_path)
    window.open_session(path)
    qtbot.waitUntil(lambda: window.review is not None, timeout=15000)
    assert len(asked) == 1 and f"nvscope recover {path}" in asked[0]
    assert window.review.session.path == str(path) and window.review.session.n_steps_completed == 3
