"""The check of Qt's system libraries and display that `make run` / `make test` and the GUI start perform."""

import io

from app.gui import qt_system


def test_debian_package_names_follow_debians_rule():
    assert qt_system.debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert qt_system.debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert qt_system.debian_package("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert qt_system.debian_package("libxcb-render-util.so.0") == "libxcb-render-util0"
    assert qt_system.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert qt_system.debian_package("libEGL.so.1") == "libegl1"
    assert qt_system.debian_package("libfoo2.so.3.1") == "libfoo2-3"
    assert qt_system.debian_package("not-a-library") is None


def test_missing_libraries_without_root_prints_the_exact_command(monkeypatch):
    monkeypatch.setattr(qt_system, "missing_libraries", lambda platform, qt_dir=None: ["libxcb-cursor.so.0"])
    monkeypatch.setattr(qt_system.os, "geteuid", lambda: 1000)
    out = io.StringIO()
    assert qt_system.ensure_libraries("xcb", install=True, out=out) == 1
    text = out.getvalue()
    assert "libxcb-cursor.so.0" in text
    assert "sudo apt-get install -y --no-install-recommends libxcb-cursor0" in text


def test_nothing_missing_is_silent(monkeypatch):
    monkeypatch.setattr(qt_system, "missing_libraries", lambda platform, qt_dir=None: [])
    out = io.StringIO()
    assert qt_system.ensure_libraries("xcb", install=False, out=out) == 0
    assert out.getvalue() == ""


def test_offscreen_platform_finds_its_libraries_here():
    # The test suite itself runs Qt offscreen, so on this machine nothing the offscreen plugin needs is missing.
    assert qt_system.missing_libraries("offscreen") == []


def test_display_problem_says_what_to_do():
    message = qt_system.display_problem(environ={}, platform="linux")
    assert "QT_QPA_PLATFORM=offscreen" in message and "nvscope --help" in message
    assert qt_system.display_problem(environ={"DISPLAY": ":0"}, platform="linux") is None
    assert qt_system.display_problem(environ={"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert qt_system.display_problem(environ={}, platform="darwin") is None


def test_platform_in_use_follows_qt_qpa_platform():
    assert qt_system.platform_in_use({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert qt_system.platform_in_use({}) == "xcb"
