"""The cells dock: the snippet triptych of the selected cell above the table of analysed cells, and the
buttons: Detect all cells, Remove, Export CSV."""

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.cell_table import CellTableModel
from app.gui.views.snippet_triptych import SnippetTriptych


class CellPanel(QWidget):
    """``cellSelected(index)`` when the user picks a row; the buttons are ``detect_button``,
    ``remove_button`` and ``export_button``."""

    cellSelected = pyqtSignal(int)

    def __init__(self, analyzer_available, description="", parent=None):
        super().__init__(parent)
        self.triptych = SnippetTriptych()
        self.model = CellTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setToolTip("double-click a label to edit it")
        self.detect_button = QPushButton("Detect all cells")
        self.detect_button.setToolTip("find every dipole in the field map and analyse each (in the background)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("remove the selected cell from the table")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("write the table as CSV (SI units, uncertainties in their own columns)")
        self.detect_button.setEnabled(analyzer_available)
        buttons = QHBoxLayout()
        for button in (self.detect_button, self.remove_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        how = f" ({description})" if description else ""
        self.status = QLabel(f"Click a dipole in the field map to analyse that cell{how}." if analyzer_available else
                             "Per-cell analysis (CNN + physics refinement) is not in this build: clicking "
                             "the field map shows the measured snippet only.")
        self.status.setWordWrap(True)
        table_box = QWidget()
        box = QVBoxLayout(table_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(buttons)
        box.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.triptych)
        splitter.addWidget(table_box)
        splitter.setSizes([190, 330])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.cellSelected.emit(cur.row()))

    def selected_row(self):
        index = self.table.selectionModel().currentIndex()
        return index.row() if index.isValid() else -1
