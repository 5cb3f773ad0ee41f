"""The calibration in the window: the instrument panel shows it; a click on a live map fitted from fewer steps
than planned gives a cell marked not usable, greyed in the table with the reason; an older file without any
pixel size asks for one and stores it."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from analysis.session import read_session
from app.core.analysis_seams import default_seams
from app.core.background_tasks import TaskRunner
from app.core.cell_analysis import CellAnalysis
from app.core.factory_backend import FactoryBackend
from app.gui import review_mode
from app.gui.cell_table import COLUMNS, NOT_USABLE_GREY
from app.gui.panels.instrument_panel import InstrumentPanel
from instruments.config import config_from_dict
from tests.analysis.test_session_roundtrip import SAMPLE, make_session
from tests.gui_helpers import open_window, run_to_end, sweep_values


def test_instrument_panel_shows_the_calibration(qtbot):
    backend = FactoryBackend(config_from_dict({"microscope": {"pixel_size_um": 0.65, "binning": 2,
                                                              "rotation_deg": 90, "n_cells": 0, "n_rows": 16,
                                                              "n_cols": 16}}))
    panel = InstrumentPanel(backend, TaskRunner())
    qtbot.addWidget(panel)
    text = panel.calibration_label.text()
    assert "Pixel at the sample: 1.3 µm (0.65 µm × binning 2)" in text
    assert "azimuth 315°" in text  # 45 deg in the sample frame, the camera rotated by 90 deg
    assert "rotated 90 deg" in text and "From: mock default" in text


@pytest.mark.slow
def test_a_click_on_a_short_live_map_gives_a_greyed_not_usable_cell(qtbot, tmp_path):
    seams, calls = default_seams(), []
    analysis = CellAnalysis(model_path=tmp_path / "no_model.onnx")  # physics only

    def recording(*args, **kwargs):
        calls.append(kwargs)
        return analysis(*args, **kwargs)

    seams.cell_analyzer = recording
    window, vm = open_window(qtbot, tmp_path, seams=seams, config={"camera": {"readout_s": 0.003}})
    window.sweep_panel.set_values({**window.sweep_panel.values(), **sweep_values(vm, points=41, pairs=20)})
    window.start_sweep()
    planned = window.controller.plan.n_steps
    qtbot.waitUntil(lambda: window.controller.field_maps() is not None, timeout=30000)
    window.controller.pause()
    maps = window.controller.field_maps()
    assert maps.n_steps_used < planned
    window.cells.analyse_at(24, 24)  # the cell of small_microscope()
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 1 or window.cells.last_error is not None,
                    timeout=30000)
    assert window.cells.last_error is None
    model, cell = window.cell_panel.model, window.cell_panel.model.cell(0)
    # the window passes the backend's calibration and how many of the planned steps the live map holds
    assert calls[0]["calibration"] is window.backend.calibration
    assert (calls[0]["steps_done"], calls[0]["steps_planned"]) == (maps.n_steps_used, planned)
    # a live map of 20 pairs per step is as noisy as the (a few uT): either reason makes it not usable
    # (tests/app/test_calibration_wiring.py checks the steps reason on a quiet map)
    assert not cell.usable
    assert f"of {planned} planned steps" in cell.usable_reason or "map noise" in cell.usable_reason
    usable_column = [name for _, name, _ in COLUMNS].index("usable_text")
    assert model.data(model.index(0, usable_column)) == "no"
    assert model.data(model.index(0, 2), Qt.ItemDataRole.ForegroundRole).color() == NOT_USABLE_GREY
    assert cell.usable_reason in model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    window.controller.resume()
    window.controller.stop()
    run_to_end(qtbot, window)


@pytest.mark.parametrize("typed", [None, 2.6])
def test_an_older_file_without_pixel_size_asks_for_one(qtbot, tmp_path, monkeypatch, typed):
    path, _ = make_session(tmp_path / "old.h5", sample_metadata=dict(SAMPLE))
    asked = []
    monkeypatch.setattr(review_mode, "ask_pixel_size_um", lambda window, message: asked.append(message) or typed)
    window, _ = open_window(qtbot, tmp_path)
    reported = []
    monkeypatch.setattr(window.errors, "report", lambda *args, **kw: reported.append(args))
    window.enter_review(read_session(path))
    assert asked and "records no pixel size" in asked[0]
    if typed is None:  # cancelled: not opened, and the user is told how to fix it
        assert window.review is None and "write_calibration" in reported[0][2]
        return
    assert not reported and window.review is not None
    assert window.pixel_size_m() == pytest.approx(2.6e-6)
    assert read_session(path).calibration.pixel_size_m == pytest.approx(2.6e-6)  # stored in the file
    assert "2.6 µm" in window.instruments.calibration_label.text()
    assert np.isclose(window.field_view.view.pixel_size_m, 2.6e-6)
