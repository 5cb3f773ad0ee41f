"""Building the main window's widgets: the views in the middle and the docks around them."""

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget, QScrollArea, QSplitter, QVBoxLayout, QWidget

from app.gui import theme
from app.gui.panels.cell_panel import CellPanel
from app.gui.panels.instrument_panel import InstrumentPanel
from app.gui.panels.session_panel import SessionPanel
from app.gui.panels.sweep_panel import SweepPanel
from app.gui.review_mode import StepBrowser
from app.gui.study_tab import StudyTab
from app.gui.views.field_map_view import FieldMapView
from app.gui.views.image_view import ImageView
from app.gui.views.spectrum_view import SpectrumView


def build_views(window):
    """The live views in the middle: camera frame and spin contrast (with the review step browser) on the left,
    field map and spectrum on the right."""
    p = window.backend.pixel_size_m
    window.camera_view = ImageView("Camera frame", "counts (ADU)", theme.CONTRAST_CMAP, pixel_size_m=p, axes=False)
    window.contrast_view = ImageView("Spin contrast", "PL on / PL off", theme.CONTRAST_CMAP, pixel_size_m=p,
                                     axes=False)
    window.field_view = FieldMapView(pixel_size_m=p)
    for view in (window.camera_view, window.contrast_view, window.field_view.view):
        view.prepare_shape(window.backend.frame_shape)
    window.spectrum_view = SpectrumView()
    window.step_browser = StepBrowser(window.select_step)
    window.step_browser.hide()
    contrast_box = QWidget()
    box = QVBoxLayout(contrast_box)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(0)
    box.addWidget(window.contrast_view, 1)
    box.addWidget(window.step_browser)
    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(window.camera_view)
    left.addWidget(contrast_box)
    right = QSplitter(Qt.Orientation.Vertical)
    right.addWidget(window.field_view)
    right.addWidget(window.spectrum_view)
    right.setSizes([600, 330])
    window.view_splitter = QSplitter(Qt.Orientation.Horizontal)
    window.view_splitter.addWidget(left)
    window.view_splitter.addWidget(right)
    window.view_splitter.setSizes([380, 560])
    window.setCentralWidget(window.view_splitter)
    window.statusBar().showMessage("ready")


def _dock(window, title, name, widget, area):
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(area, dock)
    return dock


def build_docks(window):
    """The docks: instruments, sweep and session (tabbed) on the left, cells on the right."""
    window.instruments = InstrumentPanel(window.backend, window.tasks)
    window.sweep_panel = SweepPanel(window.backend.limits)
    window.sweep_box = QWidget()
    box_layout = QVBoxLayout(window.sweep_box)
    box_layout.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidget(window.sweep_panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    box_layout.addWidget(scroll, 1)
    window.cell_panel = CellPanel(window.seams.cell_analyzer is not None,
                                  getattr(window.seams.cell_analyzer, "description", ""))
    window.session_panel = SessionPanel()
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    window.instrument_dock = _dock(window, "Instruments", "instruments", window.instruments, left)
    window.sweep_dock = _dock(window, "Sweep", "sweep", window.sweep_box, left)
    session_scroll = QScrollArea()
    session_scroll.setWidget(window.session_panel)
    session_scroll.setWidgetResizable(True)
    session_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    window.session_dock = _dock(window, "Session", "session", session_scroll, left)
    window.tabifyDockWidget(window.sweep_dock, window.session_dock)
    window.sweep_dock.raise_()
    window.cell_dock = _dock(window, "Cells", "cells", window.cell_panel, Qt.DockWidgetArea.RightDockWidgetArea)
    # the labelling study (many sessions, one per concentration) beside the cells of this one
    window.study_tab = StudyTab()
    window.study_dock = _dock(window, "Study", "study", window.study_tab, Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(window.cell_dock, window.study_dock)
    window.cell_dock.raise_()
    window.resizeDocks([window.instrument_dock, window.cell_dock], [330, 430], Qt.Orientation.Horizontal)
    window.study_dock.visibilityChanged.connect(lambda shown: shown and widen_for_study(window))


STUDY_DOCK_MIN_PX = 720
"""The study's tables and figures need this width: narrower, tables wrapped letter by letter and Figure 3b's
title and legend were clipped."""


def widen_for_study(window):
    """Give the right dock area at least ``STUDY_DOCK_MIN_PX`` when the Study tab is shown (never more than
    half the window, so the maps stay usable)."""
    width = min(STUDY_DOCK_MIN_PX, window.width() // 2)
    if window.study_dock.width() < width:
        window.resizeDocks([window.study_dock], [width], Qt.Orientation.Horizontal)
