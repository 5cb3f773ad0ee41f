"""The window's actions, menus and keyboard shortcuts (Ctrl+R start, Ctrl+P pause, Ctrl+. stop, Ctrl+S save)."""

from types import SimpleNamespace

from PyQt6.QtGui import QAction, QKeySequence

from app.gui.help_menu import build_help_menu


def _action(window, text, slot, shortcut=None, tip=""):
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip or text.replace("&", ""))
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work whichever widget has focus
    return action


def build_actions(window):
    """Actions wired to the window's slots, and the menu bar; returns them as a namespace."""
    a = SimpleNamespace()
    a.open = _action(window, "&Open session…", lambda: window.open_session(), "Ctrl+O",
                     "open a session file for review")
    a.save = _action(window, "&Save session as…", lambda: window.save_session(), "Ctrl+S",
                     "copy the session file (every acquisition is already written to its file as it runs)")
    a.live = _action(window, "&Back to live acquisition", window.leave_review, None,
                     "leave review mode and show the instruments again")
    a.fit_now = _action(window, "&Fit the session again", lambda: window.session_actions.fit_now(), None,
                        "review mode: ODMR fit of every pixel, background and field maps into the file "
                        "(as nvscope fit), then show them")
    a.quit = _action(window, "&Quit", window.close, "Ctrl+Q", "leave nvscope (the sweep is stopped safely)")
    a.start = _action(window, "&Start", window.start_sweep, "Ctrl+R", "start the sweep")
    a.pause = _action(window, "&Pause", window.toggle_pause, "Ctrl+P", "pause or resume between frames")
    a.stop = _action(window, "S&top", window.stop_sweep, "Ctrl+.", "stop the sweep (RF off, shutter closed)")
    a.connect_all = _action(window, "&Connect all instruments", window.instruments.connect_all, None,
                            "connect every instrument that is not connected")
    a.reset_layout = _action(window, "&Reset window layout", window.reset_layout, None,
                             "put the panels back where they start")
    a.about = _action(window, "&About nvscope", window.show_about)
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(a.open)
    a.recent_menu = file_menu.addMenu("Open &recent")
    file_menu.addAction(a.save)
    file_menu.addAction(a.live)
    file_menu.addAction(a.fit_now)
    file_menu.addSeparator()
    a.import_data = file_menu.addAction("&Import…", lambda: window.data_actions.show_import_dialog())
    a.import_data.setStatusTip("make a session file from another setup's ODMR cube or field map, then review it")
    a.export_data = file_menu.addAction("&Export…", lambda: window.data_actions.show_export_dialog())
    a.export_data.setStatusTip("field map, fit maps or cells as TIFF/MAT/CSV; a view's plot as PNG or SVG")
    export = file_menu.addMenu("&Quick export")
    a.export_csv = export.addAction("Cell table as &CSV…", lambda: window.cells.export_csv())
    for which in ("field map", "spin contrast", "spectrum", "cell snippets", "window"):
        export.addAction(f"{which.capitalize()} as PNG…", lambda w=which: window.export_view(w))
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    acquisition = menu.addMenu("&Acquisition")
    for action in (a.start, a.pause, a.stop):
        acquisition.addAction(action)
    acquisition.addSeparator()
    acquisition.addAction(a.connect_all)
    a.view_menu = menu.addMenu("&View")
    a.view_menu.addAction(a.reset_layout)
    a.view_menu.addSeparator()
    a.getting_started, a.documentation = build_help_menu(window, menu, a.about)
    return a
