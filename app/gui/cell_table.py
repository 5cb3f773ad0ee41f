"""The cell table: one row per analysed cell (``app.core.cells.CellRow``), values with their uncertainties in
display units, an editable label (the CSV export is ``app.core.cells.write_csv``)."""

import dataclasses
import math

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor

from app.core.cells import err

# header, value (``app.core.cells``'s names; its uncertainty is ``cells.err(name)``), display scale from SI
COLUMNS = (
    ("row", "row_px", 1.0),
    ("col", "col_px", 1.0),
    ("z (µm)", "z_m", 1e6),
    ("d (µm)", "diameter_m", 1e6),
    ("m_Fe (pg)", "iron_mass_g", 1e12),
    ("B_bg (µT)", "background_t", 1e6),
    ("B_norm (µT)", "normalised_field_t", 1e6),
    ("χ²_red", "reduced_chi2", 1.0),
    ("flag", "flag_text", None),
    ("usable", "usable_text", None),
    ("label", "label", None),
)
LABEL_COLUMN = len(COLUMNS) - 1
NOT_USABLE_GREY = QColor(140, 140, 140)
"""The text colour of a cell whose numbers cannot be trusted (``CellRow.usable`` false)."""


def usable_tooltip(row):
    """Why a cell is (not) usable, and the CNN's note, for the row's tooltip ('' when there is nothing to say)."""
    lines = [] if row.usable else [f"not usable: {row.usable_reason or 'no reason given'}"]
    if row.cnn_note:
        lines.append(row.cnn_note)
    return "\n".join(lines)


DIAMETER_TIP = ("the CNN's diameter; its ± is the network's held-out accuracy for cells at this z/d (the model "
                "card), the same for every cell in that range: a prior, not a measurement of this cell (the field "
                "of a cell barely depends on its diameter)")

FIXED_DECIMALS = {"reduced_chi2": 2}
"""Values shown with a fixed number of decimals (a column of 0.91, 1.05, 7.29 reads better than 0.9092, 1.054)."""


def format_value(value, error=None, scale=1.0, decimals=None):
    """"12.3 ± 0.4" (two significant digits of the error), "12.3" without one (4 significant digits, or
    ``decimals`` fixed decimals), "—" for NaN."""
    if scale is None:
        return str(value)
    if value is None or not math.isfinite(value):
        return "—"
    v = value * scale
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{v:.{decimals}f}" if decimals is not None else f"{v:.4g}"
    e = error * scale
    decimals = max(0, 1 - math.floor(math.log10(e)))
    return f"{v:.{decimals}f} ± {e:.{decimals}f}"


class CellTableModel(QAbstractTableModel):
    """Rows are ``app.core.cells.CellRow``s. ``edited()`` when the user changes a label."""

    edited = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows = []

    def set_rows(self, rows):
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def add_rows(self, rows):
        rows = list(rows)
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def remove_row(self, index):
        if 0 <= index < len(self._rows):
            self.beginRemoveRows(QModelIndex(), index, index)
            del self._rows[index]
            self.endRemoveRows()

    def replace_row(self, index, row):
        """Put ``row`` in place of row ``index`` (a cell analysed again)."""
        self._rows[index] = row
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(COLUMNS) - 1))

    def set_label(self, index, label):
        self._rows[index] = dataclasses.replace(self._rows[index], label=str(label))
        cell = self.index(index, LABEL_COLUMN)
        self.dataChanged.emit(cell, cell)
        self.edited.emit()

    def cell(self, index):
        return self._rows[index]

    def rows(self):
        return list(self._rows)

    def rowCount(self, parent=None):
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent=None):
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return str(section + 1)

    def flags(self, index):
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() == LABEL_COLUMN else flags

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or index.column() != LABEL_COLUMN:
            return False
        self.set_label(index.row(), value)
        return True

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        _, name, scale = COLUMNS[index.column()]
        if name == "usable_text" and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return "yes" if row.usable else "no"
        if role == Qt.ItemDataRole.ForegroundRole and not row.usable:
            return QBrush(NOT_USABLE_GREY)
        if role == Qt.ItemDataRole.ToolTipRole and (row.cnn_note or not row.usable):
            return usable_tooltip(row)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if name in ("row_px", "col_px"):
                return f"{getattr(row, name):.0f}"
            error = getattr(row, err(name)) if err(name) else None
            return format_value(getattr(row, name), error, scale, FIXED_DECIMALS.get(name))
        if role == Qt.ItemDataRole.TextAlignmentRole and scale is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and name == "diameter_m":
            return DIAMETER_TIP
        if role == Qt.ItemDataRole.ToolTipRole and name == "flag_text" and row.model_sha256:
            return f"flag bits {row.flag}; start values from network {row.model_sha256[:12]}…"
        return None
