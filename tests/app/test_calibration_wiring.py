"""The microscope's calibration from the config into the session file and the analyses; the usable verdict in
the cell record and the CSV; an older file without any pixel size gives a clear error and can be given one."""

import csv
import json

import h5py
import numpy as np
import pytest

from analysis import physics
from analysis.calibration import Calibration, CalibrationError
from analysis.pipeline import fit_session_file
from analysis.session import read_session
from analysis.session_cells import analyse_session_cells
from app.cli.main import main
from app.core.cell_analysis import CellAnalysis
from app.core.cells import CSV_COLUMNS, cell_rows, write_csv
from app.core.factory_backend import FactoryBackend
from app.core.review_source import ReviewSource, store_pixel_size
from instruments.config import config_from_dict
from tests.analysis.test_session_roundtrip import SAMPLE, make_session

LAB = {"pixel_size_um": 0.65, "binning": 2, "n_rows": 32, "n_cols": 32, "n_cells": 0}


def test_binning_doubles_the_backends_pixel_size():
    one = FactoryBackend(config_from_dict({"microscope": {**LAB, "binning": 1}}))
    two = FactoryBackend(config_from_dict({"microscope": LAB}))
    assert one.pixel_size_m == pytest.approx(0.65e-6) and two.pixel_size_m == pytest.approx(1.3e-6)
    assert two.calibration.binning == 2 and two.calibration.source == "mock default"
    # the mocks image the binned pixel, so the simulated truth and the calibration agree
    assert two.microscope.sample.pixel_size_m == pytest.approx(1.3e-6)


def test_config_calibration_with_binning_reaches_the_session_and_the_analyses(tmp_path, capsys):
    config = tmp_path / "lab.toml"
    config.write_text("[microscope]\npixel_size_um = 0.65\nbinning = 2\nrotation_deg = 90\n")
    out = tmp_path / "s.h5"
    assert main(["acquire", "--config", str(config), "--out", str(out), "--pairs", "2", "--size", "32", "32",
                 "--cells", "1", "--window-ghz", "2.026", "2.033", "15"]) == 0, capsys.readouterr().err
    session = read_session(out)
    cal = session.calibration
    assert (cal.pixel_size_unbinned_m, cal.binning, cal.rotation_deg) == (pytest.approx(0.65e-6), 2, 90)
    assert cal.pixel_size_m == pytest.approx(1.3e-6)
    assert cal.source == f"session (config {config})"  # where it came from
    assert session.sample_metadata["pixel_size_m"] == pytest.approx(1.3e-6)  # for older readers
    # the virtual microscope was imaged with that pixel and the NV axis carried into the image frame
    assert session.truth["sample"]["pixel_size_m"] == pytest.approx(1.3e-6)
    assert session.truth["sample"]["nv_azimuth_deg"] == pytest.approx(cal.image_nv_azimuth_deg)
    fit_session_file(out)
    assert read_session(out).field_map.settings["pixel_size_m"] == pytest.approx(1.3e-6)
    analyse_session_cells(out, use_cnn=False)
    with h5py.File(out, "r") as h5:  # the cell table records the calibration it was analysed with
        stored = json.loads(h5["analysis/cells"].attrs["settings_json"])["calibration"]
    assert stored["pixel_size_m"] == pytest.approx(1.3e-6) and stored["binning"] == 2


def _one_cell_map(noise_t=30e-9, seed=1):
    pixel = 1.3e-6
    cell = physics.LabelledCell(40 * pixel, 40 * pixel, 12e-6, 12e-6, 3e-15, n_clusters=60, cluster_seed=seed)
    x, y = physics.pixel_coordinates_m(80, 80, pixel)
    clean = physics.cells_b_nv_map_t([cell], x, y, physics.nv_axis())
    return clean + noise_t * np.random.default_rng(seed).standard_normal(clean.shape)


def test_a_click_on_a_live_map_from_few_steps_is_not_usable_and_says_why(tmp_path):
    analyse = CellAnalysis(model_path=tmp_path / "no_model.onnx")  # physics only: fast, no model needed
    cal = Calibration(pixel_size_unbinned_m=1.3e-6, source="test")
    b_map = _one_cell_map()
    with pytest.raises(CalibrationError, match="calibration"):
        analyse(b_map, 1.3e-6, positions_px=[(38, 41)])
    live = cell_rows(analyse(b_map, 1.3e-6, positions_px=[(38, 41)], calibration=cal, steps_done=9,
                             steps_planned=101))
    done = cell_rows(analyse(b_map, 1.3e-6, positions_px=[(38, 41)], calibration=cal, steps_done=101,
                             steps_planned=101))
    assert len(live) == len(done) == 1
    assert not live[0].usable and "9 of 101 planned steps" in live[0].usable_reason
    assert done[0].usable, done[0].usable_reason
    # the same cell either way: the verdict marks the map, it does not change the measurement
    assert live[0].iron_mass_g == pytest.approx(done[0].iron_mass_g, rel=1e-9)
    # the CSV carries the verdict and the CNN's note
    path = tmp_path / "cells.csv"
    write_csv(path, live + done)
    with open(path, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert {"usable", "usable_reason", "cnn_note"} <= set(CSV_COLUMNS) <= set(table[0])
    assert [r["usable"] for r in table] == ["0", "1"]  # numbers, as the session file stores the verdict
    assert "planned steps" in table[0]["usable_reason"] and table[0]["cnn_note"] == ""  # physics only, no CNN


def test_an_older_file_without_any_pixel_size_gives_a_clear_error_and_can_be_given_one(tmp_path, capsys):
    path, _ = make_session(tmp_path / "old.h5", freq_hz=np.linspace(2.80e9, 2.82e9, 10), n_sweeps=1,
                           sample_metadata=dict(SAMPLE))
    session = read_session(path)
    with pytest.raises(CalibrationError, match="write_calibration"):
        ReviewSource(session)
    assert main(["fit", str(path)]) == 0  # the ODMR fit needs no pixel size ...
    assert main(["analyze", str(path)]) == 2  # ... the cells do: one line naming the fix
    assert "records no pixel size" in capsys.readouterr().err
    source = ReviewSource(store_pixel_size(path, 2.6))
    assert source.pixel_size_m == pytest.approx(2.6e-6) and "entered by the user" in source.calibration.source
    assert read_session(path).sample_metadata["name"] == SAMPLE["name"]  # the rest of the metadata is kept
