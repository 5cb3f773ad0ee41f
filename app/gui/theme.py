"""One look for the whole app: dark text on light backgrounds, pyqtgraph set to match, colour maps per view."""

import pyqtgraph as pg

FOREGROUND = "#202020"
BACKGROUND = "#ffffff"
FIELD_CMAP = "CET-D1"        # diverging: background-subtracted B_NV (positive and negative lobes)
RAW_FIELD_CMAP = "viridis"
QUALITY_CMAP = "inferno"
CONTRAST_CMAP = "CET-L1"     # grey-scale: spin contrast and camera frames
INVALID_STYLE = "QLineEdit { background: #ffe3e3; border: 1px solid #d33; }"

STYLE_SHEET = """
QDockWidget::title { padding: 4px; background: #e9edf2; font-weight: bold; }
QGroupBox { font-weight: bold; margin-top: 8px; }
QGroupBox::title { subcontrol-origin: margin; left: 6px; padding: 0 3px; }
QPushButton { padding: 4px 10px; }
QLabel#ViewTitle { font-weight: bold; padding: 2px 4px; }
QLabel#Reason { color: #b00020; }
"""


def apply_theme(app=None):
    """Call once before creating plots (pyqtgraph reads its colours when an item is made)."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)  # cheap repaints
    if app is not None:
        app.setStyleSheet(STYLE_SHEET)
