"""What the window does for cells: a click on the field map shows the measured snippet at once and (when the
per-cell analysis is in the build) analyses that dipole in a worker; "Detect all cells" analyses every dipole
of the map; rows can be removed and labelled; the table exports CSV and is saved into the session file."""

import dataclasses
import datetime
import logging
import math
import re
from pathlib import Path

from PyQt6.QtWidgets import QFileDialog

from app.core.cells import cell_rows, write_csv
from app.gui.views.snippet_triptych import snippet_around

log = logging.getLogger("nvscope.app")
SAME_CELL_PX = 3.0
"""Two analyses closer than this (pixels) are the same cell: the newer replaces the older."""


def _model_cards(results):
    """{sha256: model card} named by an analyzer's results (records or one record of arrays)."""
    cards = {}
    items = results if isinstance(results, list | tuple) else [results]
    for item in items:
        get = item.get if isinstance(item, dict) else lambda name, item=item: getattr(item, name, None)
        sha, card = get("model_sha256"), get("model_card")
        if isinstance(sha, str) and sha and card is not None:
            cards[sha] = card
    return cards


class CellActions:
    def __init__(self, window):
        self.window = window
        self.panel = window.cell_panel
        self.pending = 0
        self.models = {}
        """sha256 -> model card of every network behind a row (saved with the table)."""
        self.last_error = None
        self.panel.detect_button.clicked.connect(self.detect_all)
        self.panel.remove_button.clicked.connect(self.remove_selected)
        self.panel.export_button.clicked.connect(lambda: self.export_csv())
        self.panel.model.edited.connect(self._changed)

    @property
    def analyzer(self):
        return self.window.seams.cell_analyzer

    def rows(self):
        return self.panel.model.rows()

    def _maps(self):
        maps = self.window.source.field_maps()
        if maps is None:
            self.panel.status.setText("No field map yet: run a sweep (or open a session) first, then click a "
                                      "dipole.")
        return maps

    def analyse_at(self, row, col):
        """Show the measured snippet at (row, col) and analyse the dipole there in a worker."""
        maps = self._maps()
        if maps is None:
            return
        self.panel.triptych.set_snippets(snippet_around(maps.residual_t, row, col),
                                         title=f"Cell snippet at (row {row}, col {col}) — measured")
        if self.analyzer is None:
            return
        self.panel.status.setText(f"analysing the dipole at (row {row}, col {col})…")
        self._submit(maps, [(row, col)])

    def detect_all(self):
        """Find and analyse every dipole of the field map (in a worker); new cells join the table."""
        maps = self._maps()
        if maps is None or self.analyzer is None:
            return
        self.panel.status.setText("detecting and analysing every cell of the field map…")
        self._submit(maps, None)

    def _submit(self, maps, positions_px):
        analyzer, b_map = self.analyzer, maps.residual_t.copy()
        calibration = self.window.calibration()
        # a live map fitted from fewer steps than planned gives cells marked not usable (with the reason)
        steps = {"steps_done": int(maps.n_steps_used), "steps_planned": self.window.steps_planned()}
        self.pending += 1
        self.window.tasks.submit(lambda: analyzer(b_map, calibration.pixel_size_m, positions_px=positions_px,
                                                  noise_t=None, calibration=calibration, **steps),
                                 on_done=self._analysed, on_error=self._failed)

    def _analysed(self, results):
        self.pending -= 1
        new = cell_rows(results)
        self.models.update(_model_cards(results))
        model = self.panel.model
        last = None
        for cell in new:  # a cell analysed again replaces its older row in place (keeping the label)
            for k, old in enumerate(model.rows()):
                if math.hypot(old.row_px - cell.row_px, old.col_px - cell.col_px) < SAME_CELL_PX:
                    model.replace_row(k, dataclasses.replace(cell, label=cell.label or old.label))
                    last = k
                    break
            else:
                model.add_rows([cell])
                last = model.rowCount() - 1
        self.panel.status.setText(f"{model.rowCount()} cell(s) in the table" + (
            "" if new else " — no dipole found there"))
        if new:
            self.panel.table.selectRow(last)
            self.show_cell(last)
            self._changed()

    def _failed(self, exc):
        self.pending -= 1
        self.last_error = exc
        self.panel.status.setText(f"cell analysis failed: {exc}")
        log.error("cell analysis failed: %s", exc, exc_info=exc)

    def remove_selected(self):
        index = self.panel.selected_row()
        if index >= 0:
            self.panel.model.remove_row(index)
            self.panel.status.setText(f"{self.panel.model.rowCount()} cell(s) in the table")
            self._changed()

    def set_rows(self, rows):
        """Replace the table (a session opened for review) without marking it changed."""
        self.panel.model.set_rows(rows)
        self.panel.triptych.clear()  # the snippets of the previous session's cell go with its table
        self.panel.status.setText(f"{len(rows)} cell(s) in the table")

    def _changed(self):
        self.window.session_actions.cells_changed()

    def export_csv(self, path=None):
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export the cell table", str(self.default_csv_path()),
                                                  "CSV (*.csv)")
            if not path:
                return None
        write_csv(path, self.rows())
        self.window.statusBar().showMessage(f"cell table written to {path}")
        return path

    def default_csv_path(self):
        """In the session's folder (else the data folder), named for the sample and the date:
        'liver_A_2026-12-03_cells.csv'."""
        actions = self.window.session_actions
        folder = Path(actions.current_path).parent if actions.current_path else Path(actions.data_dir)
        name = re.sub(r"[^\w.-]+", "_", actions.panel.metadata().get("name") or "").strip("_") or "session"
        return folder / f"{name}_{datetime.date.today().isoformat()}_cells.csv"

    def show_cell(self, index):
        if not 0 <= index < self.panel.model.rowCount():
            return
        cell = self.panel.model.cell(index)
        measured = cell.measured_t
        if measured is None:
            maps = self.window.source.field_maps()
            if maps is None:
                return
            measured = snippet_around(maps.residual_t, int(round(cell.row_px)), int(round(cell.col_px)))
        name = f" “{cell.label}”" if cell.label else ""
        stored = cell.model_t is None and self.window.review is not None
        self.panel.triptych.set_snippets(measured, cell.model_t, cell.residual_t,
                                         title=f"Cell {index + 1}{name} at (row {cell.row_px:.0f}, "
                                               f"col {cell.col_px:.0f})",
                                         missing="not in the file:\nclick the dipole" if stored else "—")
