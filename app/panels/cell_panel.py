"""The cells dock: the snippet triptych of the selected cell above the table of analysed cells."""

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from ..cell_table import CellTableModel
from ..views.snippet_triptych import SnippetTriptych


class CellPanel(QWidget):
    """``cellSelected(index)`` when the user picks a row."""

    cellSelected = pyqtSignal(int)

    def __init__(self, analyzer_available, parent=None):
        super().__init__(parent)
        self.triptych = SnippetTriptych()
        self.model = CellTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.status = QLabel("Click a dipole in the field map to analyse that cell." if analyzer_available else
                             "Per-cell analysis (CNN + physics refinement) is not in this build yet: clicking "
                             "the field map shows the measured snippet only.")
        self.status.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.triptych)
        splitter.addWidget(self.table)
        splitter.setSizes([170, 330])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.cellSelected.emit(cur.row()))
