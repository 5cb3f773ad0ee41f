"""The desktop app: every module that imports Qt or pyqtgraph lives here, and only here."""
