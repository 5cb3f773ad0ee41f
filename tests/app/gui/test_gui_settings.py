"""Settings and layout persist across two windows; the log goes to a file; without the session module the
file actions say they are not available."""

from app.core.analysis_seams import AnalysisSeams
from app.core.app_logging import LOG_NAME
from tests.gui_helpers import open_window


def test_settings_and_layout_persist_between_runs(qtbot, tmp_path):
    first, _ = open_window(qtbot, tmp_path)
    first.sweep_panel.edits["pairs"].setText("7")
    first.sweep_panel.edits["exposure_ms"].setText("2.5")
    first.sweep_panel.mode_box.setCurrentText("two windows (f- and f+)")
    first.field_view.set_mode("raw B_NV")
    first.cell_dock.hide()
    first.study_dock.hide()
    qtbot.wait(50)  # let the layout drop the hidden docks' minimum width
    first.resize(740, 640)  # inside the offscreen screen (800 x 800): restoreGeometry keeps a window on screen
    qtbot.waitUntil(lambda: (first.width(), first.height()) == (740, 640), timeout=2000)
    first.close()
    assert (tmp_path / "settings.ini").exists()

    from app.gui.main_window import MainWindow
    from tests.gui_helpers import mock_backend

    second = MainWindow(mock_backend(), settings_path=tmp_path / "settings.ini",
                        log_dir=tmp_path / "logs", auto_connect=False)
    qtbot.addWidget(second)
    values = second.sweep_panel.values()
    assert values["pairs"] == "7" and values["exposure_ms"] == "2.5"
    assert values["mode"] == "two windows (f- and f+)" and not second.sweep_panel.window_boxes["w2"].isHidden()
    assert second.field_view.mode == "raw B_NV"
    assert (second.width(), second.height()) == (740, 640)
    assert second.cell_dock.isHidden() and second.study_dock.isHidden()
    second.reset_layout()
    assert not second.cell_dock.isHidden()
    log_text = (tmp_path / "logs" / LOG_NAME).read_text()
    assert log_text.count("started on virtual microscope") == 2 and "instruments left safe" in log_text


def test_session_actions_say_not_available_without_session_files(qtbot, tmp_path):
    window, _ = open_window(qtbot, tmp_path, seams=AnalysisSeams())  # no session files
    window.actions_.save.trigger()
    qtbot.waitUntil(lambda: getattr(window, "info_box", None) is not None and window.info_box.isVisible(),
                    timeout=2000)
    assert "writes no session files" in window.info_box.text()
    assert window.statusBar().currentMessage() == "session files: not available"
    window.info_box.done(0)
