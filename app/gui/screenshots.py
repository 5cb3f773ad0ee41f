"""Render the main window offscreen on the mock microscope and save PNGs for the docs: after a short sweep with
the cells analysed (one clicked, then Detect all), the field map, invalid settings, and review mode.

Run from the repository root: ``python -m app.gui.screenshots [--out docs/images]``. Uses throw-away settings, log
and session folders, so the user's own are not touched.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def wait_until(app, condition, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, window, rounds=5):
    for _ in range(rounds):
        window.refresh_all()
        app.processEvents()
        time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False)
    parser.add_argument("--out", default="docs/images")
    parser.add_argument("--pairs", type=int, default=150,
                        help="on/off pairs per step of the demo sweep (150: field noise within the CNN's training "
                             "range)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    from app.core.factory_backend import FactoryBackend
    from app.gui import theme
    from app.gui.gui_main import delete_window
    from app.gui.main_window import MainWindow
    from instruments.config import config_from_dict

    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # the instrument layer's mocks, as the app starts with no hardware, on a sample of 6 cells (seed 1)
        backend = FactoryBackend(config_from_dict({"microscope": {"n_cells": 6, "seed": 1}}, "the screenshots"))
        window = MainWindow(backend, settings_path=Path(tmp) / "settings.ini", log_dir=tmp)
        window.session_actions.set_data_dir(Path(tmp) / "sessions")
        window.resize(1680, 1000)
        window.show()
        wait_until(app, window.actions_.start.isEnabled)
        window.session_panel.name.setText("HeLa, 100 ug/ml SPIONs, dish 3")
        window.session_panel.concentration.setText("100")
        window.sweep_panel.set_values({**window.sweep_panel.values(), "pairs": str(args.pairs)})
        window.start_sweep()
        wait_until(app, lambda: window.controller.snapshot().status == "finished", 600)
        wait_until(app, lambda: not window.controller.fitter.busy and not window.session_actions.busy, 120)
        settle(app, window)
        if window.seams.cell_analyzer is not None:
            window.cells.detect_all()
            wait_until(app, lambda: window.cells.pending == 0, 300)
            model = window.cell_panel.model
            if model.rowCount():
                model.set_label(0, "bright, round")
        # click the strongest dipole's lobe, as a user would
        residual = np.abs(window.controller.field_maps().residual_t)
        row, col = np.unravel_index(np.nanargmax(residual), residual.shape)
        window.pin_pixel(int(row), int(col))
        window.cells.analyse_at(int(row), int(col))
        wait_until(app, lambda: window.cells.pending == 0, 120)
        wait_until(app, lambda: not window.session_actions.busy and not window.session_actions._cells_dirty, 60)
        settle(app, window)
        window.grab().save(str(out / "main_window.png"))
        window.field_view.grab().save(str(out / "field_map.png"))
        path = window.session_actions.live_path
        window.sweep_panel.edits["power_dbm"].setText("25")
        window.sweep_panel.edits["w1_points"].setText("2")
        app.processEvents()
        window.sweep_dock.grab().save(str(out / "sweep_settings_invalid.png"))
        window.sweep_panel.edits["power_dbm"].setText("0")
        window.sweep_panel.edits["w1_points"].setText("61")
        window.open_session(path)
        wait_until(app, lambda: window.review is not None, 60)
        window.step_browser.slider.setValue(window.review.step - 3)
        window.pin_pixel(int(row), int(col))
        window.cell_panel.table.selectRow(0)
        settle(app, window)
        window.grab().save(str(out / "review_mode.png"))
        # the cells dock on its own, wide enough for the whole table (flags, labels): the clicked cell analysed
        # again in review mode (the file keeps the numbers, not the snippets)
        window.cells.analyse_at(int(row), int(col))
        wait_until(app, lambda: window.cells.pending == 0, 120)
        window.cell_dock.setFloating(True)
        window.cell_dock.resize(900, 640)
        settle(app, window)
        window.cell_dock.grab().save(str(out / "cells.png"))
        delete_window(window)
    print(f"saved {sorted(p.name for p in out.glob('*.png'))} in {out}")


if __name__ == "__main__":
    main()
