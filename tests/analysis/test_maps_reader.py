"""``analysis.session.maps_reader``: the analysis results alone, the same as ``read_session`` gives, without
reading the frame sums; a fit followed by the cell stage reads the sums once."""

import numpy as np
import pytest

from analysis.session import read_session, write_cells
from analysis.session.maps_reader import read_results, with_results
from app.cli.main import main


@pytest.fixture(scope="module")
def acquired(tmp_path_factory):
    out = tmp_path_factory.mktemp("maps") / "s.h5"
    assert main(["acquire", "--mock", "--out", str(out), "--pairs", "3", "--size", "32", "32", "--cells", "1",
                 "--seed", "5", "--scheme", "alternating"]) == 0
    return out


def _same_map(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert a.arrays.keys() == b.arrays.keys() and a.settings == b.settings and a.units == b.units
        for name in a.arrays:
            np.testing.assert_array_equal(a.arrays[name], b.arrays[name])


def test_a_session_without_results_has_none(acquired):
    results = read_results(acquired)
    assert results == {"fit": None, "background": None, "field_map": None, "cells": None, "models": {}}


def test_results_are_what_read_session_gives_and_the_sums_are_not_read(acquired, tmp_path, monkeypatch):
    import shutil

    from analysis.pipeline import fit_session_file

    fitted = shutil.copy(acquired, tmp_path / "copy.h5")
    session = read_session(fitted)
    fit_session_file(fitted, session=session, covariance=False)
    write_cells(fitted, [{"row_px": 3.0, "col_px": 4.0, "z_m": 1e-5}])
    whole = read_session(fitted)
    # the frame sums stay in the file: reading one of them would fail
    import h5py

    real_getitem = h5py.Dataset.__getitem__

    def no_sums(self, key):
        assert not self.name.endswith("_sum"), f"{self.name} was read"
        return real_getitem(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", no_sums)
    results = read_results(fitted)
    updated = with_results(session)
    monkeypatch.undo()
    for key in ("fit", "background", "field_map"):
        _same_map(results[key], getattr(whole, key))
        _same_map(getattr(updated, key), getattr(whole, key))
    assert "param_cov" not in results["fit"].arrays and "param_err" in results["fit"].arrays
    assert results["cells"].records() == whole.cells.records() and results["models"] == whole.models
    assert updated.on_sum is session.on_sum  # the acquisition arrays read once are kept


def test_analyze_reads_the_sums_once(acquired, tmp_path, monkeypatch, capsys):
    import shutil

    import analysis.pipeline
    import analysis.session
    import analysis.session_cells

    path = tmp_path / "copy.h5"
    shutil.copy(acquired, path)
    calls = []
    real = analysis.session.read_session

    def counting(p):
        calls.append(p)
        return real(p)

    for module in (analysis.session, analysis.pipeline, analysis.session_cells):
        monkeypatch.setattr(module, "read_session", counting)
    assert main(["analyze", "--no-cnn", "--no-covariance", str(path)]) == 0
    assert len(calls) == 1
    session = real(path)
    assert session.field_map is not None and session.cells is not None
    assert "param_cov" not in session.fit.arrays
