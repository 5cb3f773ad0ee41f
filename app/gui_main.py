"""Start the desktop app (Qt lives only in app/)."""

import sys


def run_gui(args):
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication

    from .main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nvscope")
    window = MainWindow()
    window.show()
    return app.exec()
