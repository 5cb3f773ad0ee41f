"""The main window. For now: the virtual microscope's field of view and a live camera frame."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells


class MainWindow(QMainWindow):
    def __init__(self, microscope=None):
        super().__init__()
        self.setWindowTitle("nvscope — virtual microscope (mock instruments)")
        self.microscope = microscope or VirtualMicroscope(VirtualSample(cells=random_cells(15, seed=1)), seed=1)
        self.field_view = pg.ImageView()
        self.camera_view = pg.ImageView()
        cell_field_ut = self.microscope.sample.cell_field_t() * 1e6
        self.field_view.setImage(cell_field_ut, autoRange=True)
        self.field_view.setColorMap(pg.colormap.get("CET-D1"))
        limit = float(np.percentile(np.abs(cell_field_ut), 99.5))
        self.field_view.setLevels(-limit, limit)
        splitter = QSplitter()
        for title, view in (("Sample field B_NV of the cells (µT)", self.field_view),
                            ("Camera frame (ADU)", self.camera_view)):
            box = QWidget()
            layout = QVBoxLayout(box)
            layout.addWidget(QLabel(title))
            layout.addWidget(view)
            splitter.addWidget(box)
        self.setCentralWidget(splitter)
        self.resize(1200, 650)
        with self.microscope.state.lock:
            self.microscope.state.shutter_open = True
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh_camera)
        self.timer.start(100)  # views pull the latest frame on a timer; they are never pushed to
        self.refresh_camera()

    def refresh_camera(self):
        self.camera_view.setImage(self.microscope.frame_from_state(1e-3), autoRange=False, autoLevels=True)
