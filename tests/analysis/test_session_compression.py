"""Frame sums are stored with shuffle + LZF now; sessions written with gzip before read back the same.
Fit results can leave the parameter covariance out."""

import h5py
import numpy as np
import pytest

import analysis.session.layout as layout_module
from analysis.session import SessionWriter, read_session
from tests.analysis.test_session_size import realistic_step_sums

GZIP = {"compression": "gzip", "compression_opts": 4, "shuffle": True, "fletcher32": True}


def _write(path, n_steps=9, shape=(24, 32)):
    rng = np.random.default_rng(3)
    written = []
    with SessionWriter.create(path, frame_shape=shape, freq_hz=np.linspace(2.02e9, 2.04e9, n_steps),
                              plan={"pairs_per_step": 300}, instrument_settings={}, sample_metadata={}) as writer:
        for step in range(n_steps):
            on, off = realistic_step_sums(rng, shape, step, n_steps)
            written.append((on, off))
            writer.write_step(step, 0, on, off, 300, 0.0, 1.0)
    return written


@pytest.mark.parametrize("storage", [None, GZIP], ids=["lzf (default)", "gzip (older files)"])
def test_sums_read_back_exactly_whatever_the_filter(tmp_path, monkeypatch, storage):
    if storage is not None:
        monkeypatch.setattr(layout_module, "SUM_STORAGE", storage)  # where new files get their datasets
    path = tmp_path / "s.h5"
    written = _write(path)
    with h5py.File(path) as f:
        assert f["acquisition/on_sum"].compression == ("gzip" if storage else "lzf")
        assert f["acquisition/on_sum"].shuffle
    session = read_session(path)
    for step in (0, 4, 8):
        assert np.array_equal(session.on_sum[step], written[step][0])
        assert np.array_equal(session.off_sum[step], written[step][1])


def test_fit_results_without_covariance(tmp_path):
    from analysis.session import write_fit_results

    path = tmp_path / "s.h5"
    _write(path, shape=(4, 5))
    maps = {"param_err": np.ones((4, 5, 4)), "param_cov": np.ones((4, 5, 4, 4))}
    units = {"param_err": "1", "param_cov": "1"}
    write_fit_results(path, maps, units=units, settings={"model": "15N"}, covariance=False)
    fit = read_session(path).fit
    assert set(fit.arrays) == {"param_err"}
    assert fit.settings == {"model": "15N", "covariance_stored": False}
    write_fit_results(path, maps, units=units)  # default as before: everything stored
    assert set(read_session(path).fit.arrays) == {"param_err", "param_cov"}
