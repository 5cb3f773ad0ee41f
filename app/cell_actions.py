"""What a click on the field map does for cells: the measured snippet at once, then (when the per-cell
analysis is in the build) the analysis of that dipole in a worker, its row in the table and its triptych."""

import logging

from .seams.cells import cell_rows
from .views.snippet_triptych import snippet_around

log = logging.getLogger("nvscope.app")


class CellActions:
    def __init__(self, window):
        self.window = window
        self.panel = window.cell_panel
        self.pending = 0

    def analyse_at(self, row, col):
        maps = self.window.controller.field_maps()
        if maps is None:
            self.panel.status.setText("No field map yet: run a sweep first, then click a dipole.")
            return
        self.panel.triptych.set_snippets(snippet_around(maps.residual_t, row, col),
                                         title=f"Cell snippet at (row {row}, col {col}) — measured")
        analyzer = self.window.seams.cell_analyzer
        if analyzer is None:
            return
        self.pending += 1
        self.panel.status.setText(f"analysing the dipole at (row {row}, col {col})…")
        b_map, pixel_size_m = maps.residual_t.copy(), self.window.backend.pixel_size_m
        self.window.tasks.submit(lambda: analyzer(b_map, pixel_size_m, positions_px=[(row, col)], noise_t=None),
                                 on_done=self._analysed, on_error=self._failed)

    def _analysed(self, results):
        self.pending -= 1
        rows = cell_rows(results)
        self.panel.model.add_rows(rows)
        self.panel.status.setText(f"{self.panel.model.rowCount()} cell(s) analysed")
        if rows:
            self.panel.table.selectRow(self.panel.model.rowCount() - 1)

    def _failed(self, exc):
        self.pending -= 1
        self.panel.status.setText(f"cell analysis failed: {exc}")
        log.error("cell analysis failed: %s", exc, exc_info=exc)

    def show_cell(self, index):
        if not 0 <= index < self.panel.model.rowCount():
            return
        cell = self.panel.model.cell(index)
        measured = cell.snippet_t
        if measured is None:
            maps = self.window.controller.field_maps()
            if maps is None:
                return
            measured = snippet_around(maps.residual_t, int(round(cell.row_px)), int(round(cell.col_px)))
        self.panel.triptych.set_snippets(measured, cell.model_t, cell.residual_t,
                                         title=f"Cell {index + 1} at (row {cell.row_px:.0f}, col {cell.col_px:.0f})")
