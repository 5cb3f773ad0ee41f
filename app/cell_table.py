"""The cell table: one row per analysed cell, values with their uncertainties in display units."""

import math

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt

# header, value attribute, its uncertainty, display scale from SI
COLUMNS = (
    ("row", "row_px", None, 1.0),
    ("col", "col_px", None, 1.0),
    ("z (µm)", "z_m", "z_err_m", 1e6),
    ("d (µm)", "diameter_m", "diameter_err_m", 1e6),
    ("m_Fe (pg)", "iron_mass_g", "iron_mass_err_g", 1e12),
    ("B_bg (µT)", "background_t", "background_err_t", 1e6),
    ("B_norm (µT)", "normalised_field_t", "normalised_field_err_t", 1e6),
    ("χ²_red", "reduced_chi2", None, 1.0),
    ("flag", "flag", None, None),
)


def format_value(value, error=None, scale=1.0):
    """"12.3 ± 0.4" (two significant digits of the error), "12.3" without one, "—" for NaN."""
    if scale is None:
        return str(value)
    if value is None or not math.isfinite(value):
        return "—"
    v = value * scale
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{v:.4g}"
    e = error * scale
    decimals = max(0, 1 - math.floor(math.log10(e)))
    return f"{v:.{decimals}f} ± {e:.{decimals}f}"


class CellTableModel(QAbstractTableModel):
    """Rows are ``app.seams.CellRow``s."""

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

    def cell(self, index):
        return self._rows[index]

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

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        _, name, err_name, scale = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if name in ("row_px", "col_px"):
                return f"{getattr(row, name):.0f}"
            error = getattr(row, err_name) if err_name else None
            return format_value(getattr(row, name), error, scale)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
