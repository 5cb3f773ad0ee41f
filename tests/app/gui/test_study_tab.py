"""The study tab loads sessions in the background and shows the figures and the summary."""

import pytest

from app.gui.study_tab import StudyTab
from tests.study_fakes import tiny_study, write_synthetic_cells


def test_study_tab_shows_the_study(qtbot, tmp_path):
    paths = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1))
    for i, path in enumerate(paths):
        write_synthetic_cells(path, 30, 14e-6, seed=i)
    tab = StudyTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.finished, timeout=60000) as blocker:
        assert tab.load(paths)
    assert blocker.args[0] is tab.result
    assert tab.tabs.count() == 6  # summary + 5 figures
    assert [tab.tabs.widget(i).objectName() for i in range(1, 6)] == ["fig2d", "fig3a", "fig3b", "fig3c", "ranking"]
    assert "half-max" in tab.summary.toPlainText().lower()
    assert "B_max" in tab.status.text()


def test_study_tab_counts_an_adaptive_measurement_once(qtbot, tmp_path):
    import shutil

    paths = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1))
    for i, path in enumerate(paths):
        write_synthetic_cells(path, 30, 14e-6, seed=i)
    first_pass = str(paths[0]).removesuffix(".h5") + ".pass1.h5"
    shutil.copy(paths[0], first_pass)  # the same cells again: counted twice if taken as a session
    tab = StudyTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.finished, timeout=60000):
        assert tab.load([first_pass, *map(str, paths)])
    assert len(tab.result.samples) == len(paths)


def test_study_tab_reports_a_failure(qtbot, tmp_path):
    tab = StudyTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.finished, timeout=20000) as blocker:
        tab.load([str(tmp_path / "missing.h5")])
    assert isinstance(blocker.args[0], Exception)
    assert "failed" in tab.status.text()


@pytest.mark.slow
def test_the_main_window_has_the_study_beside_the_cells(qtbot, tmp_path):
    from tests.gui_helpers import open_window

    window, _ = open_window(qtbot, tmp_path)
    assert isinstance(window.study_tab, StudyTab)
    assert window.study_dock.toggleViewAction() in window.actions_.view_menu.actions()
    paths = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1))
    for i, path in enumerate(paths):
        write_synthetic_cells(path, 30, 14e-6, seed=i)
    with qtbot.waitSignal(window.study_tab.finished, timeout=60000) as blocker:
        assert window.study_tab.load(paths)
    assert blocker.args[0] is window.study_tab.result


def test_study_tab_leaves_out_a_damaged_session_and_says_why(qtbot, tmp_path):
    paths = tiny_study(tmp_path, cells=(1, 1, 1, 1, 1))
    for i, path in enumerate(paths):
        write_synthetic_cells(path, 30, 14e-6, seed=i)
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(b"not an HDF5 file at all")
    tab = StudyTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.finished, timeout=60000) as blocker:
        assert tab.load([*map(str, paths), str(damaged)])
    assert blocker.args[0] is tab.result and len(tab.result.samples) == len(paths)  # as `nvscope study` does
    assert [p for p, _ in tab.left_out] == [str(damaged)]
    assert "left out: damaged.h5:" in tab.status.text()
