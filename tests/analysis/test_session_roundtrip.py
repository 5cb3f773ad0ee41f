"""Session files written and read back in one process: everything comes back bit for bit, sums add up
over sweeps, results replace earlier ones, and the writer refuses what would lose or corrupt data."""

import dataclasses
import time

import h5py
import numpy as np
import pytest

from analysis.session import (
    SessionExistsError,
    SessionWriteError,
    SessionWriter,
    read_session,
    stack_cell_snippets,
    update_sample_metadata,
    write_background,
    write_cells,
    write_field_map,
    write_fit_results,
)
from analysis.session.cells import OLDER_FILE_REASON

SHAPE = (9, 7)
MODEL_SHA = "0123456789abcdef" * 4
PLAN = {"pairs_per_step": 3, "sweeps": 2, "exposure_s": 0.02, "rf_power_dbm": -10.0, "windows": [[2.8e9, 2.9e9]]}
SETTINGS = {"camera": {"kind": "mock", "gain": 300, "roi": (0, 0, 9, 7)}, "rf": {"max_power_dbm": 10.0}}
SAMPLE = {"name": "HeLa 100", "spion_concentration_ug_per_ml": 100.0, "notes": "dilution 1:10 — µg/ml"}


def make_session(path, freq_hz=(2.80e9, 2.81e9, 2.82e9), n_sweeps=2, seed=3, **create_kwargs):
    """Write a session; return (its path, the sums added per (step, sweep))."""
    rng = np.random.default_rng(seed)
    added = {}
    kwargs = {"frame_shape": SHAPE, "freq_hz": freq_hz, "plan": PLAN, "instrument_settings": SETTINGS,
              "sample_metadata": SAMPLE, "app_version": "0.1.0-test", **create_kwargs}
    with SessionWriter.create(path, **kwargs) as writer:
        for sweep in range(n_sweeps):
            for step in range(writer.n_steps):
                on = rng.integers(0, 60000 * 3, SHAPE, dtype=np.uint32)
                off = rng.integers(0, 60000 * 3, SHAPE).astype(np.int64)
                added[step, sweep] = (on, off)
                t = time.time()
                writer.write_step(step, sweep, on, off, 3, t, t + 0.1)
        writer.finish("finished", "all sweeps done")
    return path, added


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_acquisition_round_trip_is_bit_exact_and_sums_accumulate(tmp_path):
    path, added = make_session(tmp_path / "s.h5")
    session = read_session(path)
    assert session.status == "finished" and session.status_reason == "all sweeps done"
    assert session.schema_version == 1 and session.app_version == "0.1.0-test"
    assert session.frame_shape == SHAPE and session.n_steps == 3 and session.n_steps_completed == 3
    assert same_bits(session.freq_hz, np.array([2.80e9, 2.81e9, 2.82e9]))
    for step in range(3):
        on = added[step, 0][0].astype(np.uint64) + added[step, 1][0].astype(np.uint64)
        off = added[step, 0][1].astype(np.uint64) + added[step, 1][1].astype(np.uint64)
        assert same_bits(session.on_sum[step], on) and same_bits(session.off_sum[step], off)
    assert same_bits(session.n_pairs, np.array([6, 6, 6], np.uint64))
    assert same_bits(session.n_sweeps, np.array([2, 2, 2], np.uint32))
    assert same_bits(session.last_sweep_index, np.array([1, 1, 1], np.int64))
    assert session.step_done.all() and np.all(session.t_end_s >= session.t_start_s)
    # dicts come back as JSON makes them: tuples become lists, text (non-ASCII too) unchanged
    assert session.plan == PLAN
    assert session.instrument_settings["camera"]["roi"] == [0, 0, 9, 7]
    assert session.sample_metadata == SAMPLE
    assert session.truth is None and session.fit is None and session.cells is None
    # reading twice gives the same bits
    again = read_session(path)
    assert same_bits(again.on_sum, session.on_sum) and same_bits(again.t_start_s, session.t_start_s)


def test_spin_contrast_is_on_over_off_and_nan_without_pairs(tmp_path):
    path = tmp_path / "partial.h5"
    writer = SessionWriter.create(path, frame_shape=SHAPE, freq_hz=np.array([2.8e9, 2.9e9]), plan={},
                                  instrument_settings={}, sample_metadata={})
    on, off = np.full(SHAPE, 990, np.uint16), np.full(SHAPE, 1000, np.uint16)
    off[0, 0] = 0
    writer.write_step(1, 0, on, off, 1, 0.0, 1.0)
    writer.finish("aborted", "stopped by the user")
    session = read_session(path)
    contrast = session.spin_contrast()
    assert np.isnan(contrast[0]).all()  # step 0 never measured
    assert np.isnan(contrast[1, 0, 0])  # no light in the off frames
    assert contrast[1, 1, 1] == pytest.approx(0.99, rel=1e-15)
    assert session.status == "aborted" and session.n_steps_completed == 1


def test_frequency_windows_and_truth(tmp_path):
    @dataclasses.dataclass
    class TrueCell:
        x_m: float
        iron_mass_kg: float

    b_true = np.random.default_rng(0).normal(0, 1e-6, SHAPE)
    truth = {"b_nv_t": b_true, "bias_field_t": 0.03, "cells": [TrueCell(1e-5, 1.75e-15)], "seed": "42",
             "in_field": np.ones(SHAPE, bool)}
    windows = [np.array([2.02e9, 2.03e9]), np.array([3.70e9, 3.71e9, 3.72e9])]
    path, _ = make_session(tmp_path / "sim.h5", freq_hz=windows, n_sweeps=1, truth=truth)
    session = read_session(path)
    assert same_bits(session.freq_hz, np.concatenate(windows))
    assert same_bits(session.window_index, np.array([0, 0, 1, 1, 1], np.int32))
    assert same_bits(session.truth["b_nv_t"], b_true)
    assert session.truth["bias_field_t"] == 0.03
    assert session.truth["cells"] == [{"x_m": 1e-5, "iron_mass_kg": 1.75e-15}]
    assert session.truth["seed"] == "42"
    assert session.truth["in_field"].dtype == bool and session.truth["in_field"].all()
    assert session.truth_units == {"b_nv_t": "T", "bias_field_t": "T", "in_field": "1"}


def test_analysis_results_round_trip_and_replace(tmp_path):
    path, _ = make_session(tmp_path / "a.h5", n_sweeps=1)
    rng = np.random.default_rng(5)
    fit = {"f_minus_hz": rng.normal(2.03e9, 1e5, SHAPE), "fwhm_hz": rng.normal(1e6, 1e4, SHAPE).astype(np.float32),
           "contrast": rng.uniform(0, 0.02, SHAPE), "amplitude_adu": rng.normal(size=SHAPE),
           "converged": rng.uniform(size=SHAPE) > 0.1, "big_b_t": rng.normal(size=(70, 80))}
    fit["f_minus_hz"][0, 0] = np.nan
    write_fit_results(path, fit, settings={"model": "15N doublet", "max_iterations": 50})
    write_background(path, {"background_t": rng.normal(size=SHAPE), "coefficients_t": rng.normal(size=6)},
                     settings={"method": "robust quadratic"})
    write_field_map(path, {"b_nv_t": rng.normal(size=SHAPE), "b_nv_err_t": rng.uniform(size=SHAPE)})
    session = read_session(path)
    assert set(session.fit.arrays) == set(fit)
    for name, array in fit.items():
        assert same_bits(session.fit[name], array), name
    assert session.fit.units == {"f_minus_hz": "Hz", "fwhm_hz": "Hz", "contrast": "1", "amplitude_adu": "ADU",
                                 "converged": "1", "big_b_t": "T"}
    assert session.fit.settings == {"model": "15N doublet", "max_iterations": 50}
    assert session.background.settings["method"] == "robust quadratic"
    assert session.field_map.units == {"b_nv_t": "T", "b_nv_err_t": "T"}

    write_fit_results(path, {"f_plus_hz": np.zeros(SHAPE)})  # replaces: nothing of the first fit remains
    session = read_session(path)
    assert set(session.fit.arrays) == {"f_plus_hz"} and session.fit.settings == {}
    assert session.background is not None and session.field_map is not None


def test_cell_table_round_trip_with_model_identity(tmp_path):
    path, _ = make_session(tmp_path / "c.h5", n_sweeps=1)
    cells = [
        {"row_px": 120.25, "col_px": 33.5, "z_m": 1.5e-5, "z_m_err": 4e-7, "diameter_m": 1.2e-5,
         "iron_mass_g": 1.75e-12, "iron_mass_g_err": 1e-13, "reduced_chi2": 1.07, "flag": 0, "label": "cell A",
         "normalised_field_t": 2.71e-6, "accepted": True, "model_sha256": MODEL_SHA},
        {"row_px": 10.0, "col_px": 200.0, "z_m": 2.2e-5, "z_m_err": float("nan"), "diameter_m": 1.1e-5,
         "iron_mass_g": 9e-13, "iron_mass_g_err": 2e-13, "reduced_chi2": 3.5, "flag": 2, "label": "",
         "normalised_field_t": 1.25e-6, "accepted": False, "model_sha256": ""},
    ]
    card = {"name": "nvscope-dipole-cnn", "pixel_size_m": 1.3e-6, "outputs": {"z": "m"}}
    write_cells(path, cells, models={MODEL_SHA: card}, settings={"snippet_px": 32})
    session = read_session(path)
    table = session.cells
    # a table without the usable verdict reads as usable, "not assessed (older file)"
    assert len(table) == 2 and list(table.columns) == [*cells[0], "usable", "usable_reason"]
    assert table.columns["usable"].tolist() == [True, True]
    records = table.records()
    for original, stored in zip(cells, records, strict=True):
        for key, value in original.items():
            assert type(stored[key]) is type(value), key
            assert stored[key] == value or (np.isnan(value) and np.isnan(stored[key])), key
    assert table.units["z_m_err"] == "m" and table.units["iron_mass_g"] == "g"
    assert table.units["row_px"] == "pixel" and table.units["normalised_field_t"] == "T"
    assert "label" not in table.units and table.model_hashes() == [MODEL_SHA]
    assert session.models == {MODEL_SHA: card}

    # columns form; the stored card is found, so it need not be given again
    write_cells(path, {"row_px": np.array([1.5]), "model_sha256": [MODEL_SHA], "label": np.array(["x"])})
    session = read_session(path)
    assert session.cells.records() == [{"row_px": 1.5, "model_sha256": MODEL_SHA, "label": "x", "usable": True,
                                        "usable_reason": OLDER_FILE_REASON}]
    write_cells(path, [])
    assert len(read_session(path).cells) == 0


def test_cell_table_refusals(tmp_path):
    path, _ = make_session(tmp_path / "r.h5", n_sweeps=1)
    other = "f" * 64
    with pytest.raises(SessionWriteError, match="no model card"):
        write_cells(path, [{"z_m": 1e-5, "model_sha256": other}])
    with pytest.raises(SessionWriteError, match="not a lowercase hex SHA-256"):
        write_cells(path, [{"z_m": 1e-5, "model_sha256": "abc"}])
    with pytest.raises(SessionWriteError, match="cannot tell the units of 'brightness'"):
        write_cells(path, [{"brightness": 3.0}])
    with pytest.raises(SessionWriteError, match="cell 1 has different fields"):
        write_cells(path, [{"z_m": 1e-5}, {"z_m": 1e-5, "label": "a"}])
    with pytest.raises(SessionWriteError, match="mixes or holds unsupported values"):
        write_cells(path, [{"z_m": 1e-5}, {"z_m": None}])
    write_cells(path, [{"brightness": 3.0}], units={"brightness": "ADU"})
    assert read_session(path).cells.units == {"brightness": "ADU"}
    with pytest.raises(SessionWriteError, match=r"has shape \(2, 32, 32\).*give numbers of shape \(1, rows, cols\)"):
        write_cells(path, [{"z_m": 1e-5}], snippets={"model_t": np.zeros((2, 32, 32))})
    with pytest.raises(SessionWriteError, match="'fit_t' is not one of"):
        write_cells(path, [{"z_m": 1e-5}], snippets={"fit_t": np.zeros((1, 32, 32))})
    with pytest.raises(SessionWriteError, match="cell 1's model_t map has shape"):
        stack_cell_snippets([{"model_t": np.zeros((32, 32))}, {"model_t": np.zeros((16, 16))}])


def test_cell_snippets_round_trip_with_the_table(tmp_path):
    """What each cell was analysed on, and the refinement's reconstruction and residual, come back as written
    (float32, NaN for a cell without them); a table written without them has none, an older file neither."""
    path, _ = make_session(tmp_path / "s.h5", n_sweeps=1)
    rng = np.random.default_rng(1)
    measured, model = rng.normal(0, 1e-6, (2, 32, 32)), rng.normal(0, 1e-6, (32, 32))
    snippets = stack_cell_snippets([{"measured_t": measured[0], "model_t": model, "residual_t": None},
                                    {"measured_t": measured[1], "model_t": None, "residual_t": None}])
    assert set(snippets) == {"measured_t", "model_t"}  # a map no cell has is left out
    write_cells(path, [{"row_px": 3.0}, {"row_px": 7.0}], snippets=snippets)
    table = read_session(path).cells
    np.testing.assert_array_equal(table.snippets["measured_t"], measured.astype(np.float32))
    np.testing.assert_array_equal(table.snippets["model_t"][0], model.astype(np.float32))
    assert np.all(np.isnan(table.snippets["model_t"][1])) and "residual_t" not in table.snippets
    write_cells(path, [{"row_px": 3.0}])  # replacing the table replaces its maps too
    assert read_session(path).cells.snippets == {}


def test_damaged_cell_snippets_are_left_out_with_a_reason(tmp_path):
    """A snippet dataset of the wrong shape, an unknown name or text (a damaged or foreign file) is left out
    and said why; the table's columns and the good maps are still read."""
    path, _ = make_session(tmp_path / "d.h5", n_sweeps=1)
    good = np.full((2, 32, 32), 1e-7)
    write_cells(path, [{"row_px": 3.0}, {"row_px": 7.0}], snippets={"measured_t": good})
    with h5py.File(path, "a") as f:
        group = f["analysis/cells/snippets"]
        group["model_t"] = np.zeros((3, 32, 32))
        group["fit_t"] = np.zeros((2, 32, 32))
        group["residual_t"] = np.array([b"not", b"numbers"])
    table = read_session(path).cells
    assert list(table.columns["row_px"]) == [3.0, 7.0]
    assert set(table.snippets) == {"measured_t"}
    problems = " | ".join(table.snippet_problems)
    assert len(table.snippet_problems) == 3
    assert "model_t has shape (3, 32, 32), expected (2, height, width)" in problems
    assert "fit_t is not one of the known maps" in problems
    assert "residual_t is not an array of numbers" in problems and "left out" in problems


def test_update_sample_metadata_merges(tmp_path):
    path, _ = make_session(tmp_path / "m.h5", n_sweeps=1)
    merged = update_sample_metadata(path, notes="re-imaged", operator="A. B.")
    assert merged == {**SAMPLE, "notes": "re-imaged", "operator": "A. B."}
    assert read_session(path).sample_metadata == merged
    with pytest.raises(SessionWriteError, match="JSON has no NaN"):
        update_sample_metadata(path, z_m=float("nan"))
    assert read_session(path).sample_metadata == merged


def test_existing_file_is_never_replaced_without_overwrite(tmp_path):
    path, _ = make_session(tmp_path / "keep.h5", n_sweeps=1)
    before = path.read_bytes()
    with pytest.raises(SessionExistsError, match="overwrite=True"):
        make_session(path, n_sweeps=1)
    assert path.read_bytes() == before
    # a bad argument with overwrite=True still leaves the old file alone (checked before touching it)
    with pytest.raises(SessionWriteError):
        SessionWriter.create(path, frame_shape=SHAPE, freq_hz=[-1.0], plan={}, instrument_settings={},
                             sample_metadata={}, overwrite=True)
    assert path.read_bytes() == before
    make_session(path, n_sweeps=1, seed=9, overwrite=True)
    assert read_session(path).n_sweeps.tolist() == [1, 1, 1]


def test_writer_refuses_bad_steps(tmp_path):
    writer = SessionWriter.create(tmp_path / "w.h5", frame_shape=SHAPE, freq_hz=[2.8e9, 2.9e9], plan={},
                                  instrument_settings={}, sample_metadata={})
    good = np.ones(SHAPE, np.uint16)
    writer.write_step(0, 0, good, good, 1, 0.0, 1.0)
    cases = [
        ((2, 0, good, good, 1, 0, 1), "outside this sweep plan"),
        ((0, 0, good, good, 1, 0, 1), "already holds sweep 0"),
        ((1, 0, good[:, :3], good, 1, 0, 1), r"shape \(9, 3\)"),
        ((1, 0, good - 2.0, good, 1, 0, 1), "not whole non-negative"),
        ((1, 0, good * 0.5, good, 1, 0, 1), "not whole non-negative"),
        ((1, 0, good.astype(np.int32) - 5, good, 1, 0, 1), "negative values"),
        ((1, 0, good, good, 0, 0, 1), "n_pairs = 0"),
        ((1, 0, good, good, 1, 2.0, 1.0), "t_end_s >= t_start_s"),
    ]
    for args, message in cases:
        with pytest.raises(SessionWriteError, match=message):
            writer.write_step(*args)
    writer.write_step(1, 0, good.astype(np.float64) * 7, good, 1, 0.0, 1.0)  # whole-number floats are fine
    writer.finish()
    with pytest.raises(SessionWriteError, match="closed"):
        writer.write_step(1, 1, good, good, 1, 0.0, 1.0)
    assert read_session(writer.path).on_sum[1].max() == 7


def test_leaving_the_with_block_records_failure_or_abort(tmp_path):
    kwargs = {"frame_shape": SHAPE, "freq_hz": [2.8e9, 2.9e9], "plan": {}, "instrument_settings": {},
              "sample_metadata": {}}
    with pytest.raises(RuntimeError), SessionWriter.create(tmp_path / "f.h5", **kwargs) as writer:
        writer.write_step(0, 0, np.ones(SHAPE, np.uint16), np.ones(SHAPE, np.uint16), 1, 0.0, 1.0)
        raise RuntimeError("camera lost")
    failed = read_session(tmp_path / "f.h5")
    assert (failed.status, failed.status_reason) == ("failed", "RuntimeError: camera lost")
    assert failed.n_steps_completed == 1
    with SessionWriter.create(tmp_path / "g.h5", **kwargs) as writer:
        writer.write_step(1, 0, np.ones(SHAPE, np.uint16), np.ones(SHAPE, np.uint16), 1, 0.0, 1.0)
    stopped = read_session(tmp_path / "g.h5")
    assert stopped.status == "aborted" and "1 of 2 steps" in stopped.status_reason
    assert stopped.finished_utc.endswith("+00:00")


@pytest.mark.parametrize(("name", "units"), [
    ("freq_hz", "Hz"), ("b_nv_t", "T"), ("b_nv_err_t", "T"), ("z_m_err", "m"), ("iron_mass_g", "g"),
    ("moment_am2", "A m^2"), ("spion_concentration_ug_per_ml", "ug/ml"), ("row_px", "pixel"),
    ("sensitivity_t_per_sqrt_hz", "T/sqrt(Hz)"), ("n_pairs", "1"), ("reduced_chi2", "1"), ("lobe_ratio", "1"),
    ("label", None), ("amplitude", None),
])
def test_units_from_name(name, units):
    from analysis.session import units_from_name

    assert units_from_name(name) == units


@pytest.mark.parametrize("interval_s, syncs", [(0.0, 3 * 2 + 1), (3600.0, 1)])
def test_steps_are_synced_to_disk_at_most_the_interval_apart_and_the_end_always(tmp_path, monkeypatch, interval_s,
                                                                                 syncs):
    # HDF5's flush leaves data in the OS cache (enough when the process is killed: test_session_processes);
    # a power cut would lose it. A step ends with an fsync of the session file itself when the last one is
    # sync_interval_s old (0: every step; an hour: none during these fast 6 writes), and finish() always syncs
    import os

    from analysis.session import writer as writer_module

    synced = []
    real_fsync = os.fsync

    def counting_fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(writer_module.os, "fsync", counting_fsync)
    path, _ = make_session(tmp_path / "s.h5", n_sweeps=2, sync_interval_s=interval_s)  # 3 steps x 2 sweeps
    assert len(synced) == syncs
    assert set(synced) == {os.path.realpath(path)}


def test_a_step_is_synced_once_the_last_sync_is_the_interval_old(tmp_path, monkeypatch):
    from analysis.session import writer as writer_module

    clock = [100.0]
    monkeypatch.setattr(writer_module.time, "monotonic", lambda: clock[0])
    synced = []
    monkeypatch.setattr(writer_module.os, "fsync", synced.append)
    with SessionWriter.create(tmp_path / "s.h5", frame_shape=SHAPE, freq_hz=[2.8e9, 2.81e9, 2.82e9], plan=PLAN,
                              instrument_settings=SETTINGS, sample_metadata=SAMPLE) as writer:
        assert writer.sync_interval_s == 1.0  # the default
        frame = np.ones(SHAPE, np.uint32)
        for step, t_s in enumerate((100.5, 101.0, 101.4)):  # created at 100 s: due at 101 s, then at 102 s
            clock[0] = t_s
            writer.write_step(step, 0, frame, frame, 1, 0.0, 1.0)
            assert len(synced) == (1 if t_s >= 101.0 else 0)
