"""Importing ODMR cubes and field maps from other programs' files (analysis.exchange)."""

import time

import h5py
import numpy as np
import pytest
import scipy.io
import tifffile

from analysis.exchange import (
    EmptyDataError,
    ExchangeError,
    FrequencyOrderError,
    MissingVariableError,
    ShapeError,
    SourceNotFoundError,
    UnitsError,
    UnsupportedFormatError,
    import_cube,
    import_field_map,
)
from analysis.exchange.sources import sha256_of
from analysis.session import SessionExistsError, read_session
from tests.analysis.exchange_files import FREQ_HZ, SHAPE, lorentzian_cube, write_sources


@pytest.fixture
def sources(tmp_path):
    return write_sources(tmp_path)


def _contrast_cube(path):
    session = read_session(path)
    return np.moveaxis(session.spin_contrast(), 0, -1), session


@pytest.mark.parametrize("kind, options, exact", [
    ("npy", {"freq": "freq_npy"}, True),
    ("npy", {"freq": "freq_txt"}, True),
    ("npy", {"freq": "freq_csv"}, True),
    ("tiff", {}, False),                                    # float32 pages, frequencies from the metadata
    ("mat5", {"cube_var": "M", "freq_var": "Ftot"}, True),
    ("mat73", {"cube_var": "M", "freq_var": "Ftot"}, True),
])
def test_every_format_gives_the_cube_back(tmp_path, sources, kind, options, exact):
    options = {k: (sources[v] if k == "freq" else v) for k, v in options.items()}
    report = import_cube(sources[kind], tmp_path / "s.h5", pixel_size_um=1.5, **options)
    contrast, session = _contrast_cube(report.path)
    cube = lorentzian_cube()
    # stored as round(value * 2**k) / 2**k: exact to 1 part in 2**52 of the largest value (float32 TIFF: 1e-7)
    assert np.allclose(contrast, cube, rtol=1e-12 if exact else 1e-7, atol=0)
    assert np.allclose(session.freq_hz, FREQ_HZ, rtol=1e-12)
    assert session.status == "finished" and session.step_done.all()
    assert session.sample_metadata["pixel_size_m"] == pytest.approx(1.5e-6)
    provenance = session.instrument_settings["import"]
    assert provenance["source_sha256"] == sha256_of(sources[kind])
    assert provenance["source_file"] == sources[kind].name
    assert provenance["pixel_size_um"] == 1.5
    if kind.startswith("mat"):
        assert (provenance["cube_var"], provenance["freq_var"], provenance["freq_units"]) == ("M", "Ftot", "GHz")


def test_units_rule_is_reported_and_can_be_overridden(tmp_path, sources):
    report = import_cube(sources["npy"], tmp_path / "a.h5", freq=sources["freq_txt"], pixel_size_um=1.3)
    assert report.provenance["freq_units"] == "MHz" and "inferred" in report.provenance["freq_units_rule"]
    assert "MHz" in report.messages[0] and "< 100 -> GHz" in report.messages[0]
    stated = import_cube(sources["npy"], tmp_path / "b.h5", freq=FREQ_HZ / 1e3, freq_units="kHz", pixel_size_um=1.3)
    assert stated.provenance["freq_units_rule"] == "stated"
    assert np.allclose(read_session(stated.path).freq_hz, FREQ_HZ)
    with pytest.raises(UnitsError, match="kHz"):  # kHz values are inferred as Hz: 2.8e6 Hz is no NV line
        import_cube(sources["npy"], tmp_path / "c.h5", freq=FREQ_HZ / 1e3, pixel_size_um=1.3)
    with pytest.raises(UnitsError, match="furlongs"):
        import_cube(sources["npy"], tmp_path / "d.h5", freq=sources["freq_npy"], freq_units="furlongs",
                    pixel_size_um=1.3)


def test_frequency_first_cube_is_recognised(tmp_path, sources):
    np.save(tmp_path / "first.npy", np.moveaxis(lorentzian_cube(), -1, 0))
    report = import_cube(tmp_path / "first.npy", tmp_path / "s.h5", freq=sources["freq_npy"], pixel_size_um=1.3)
    assert report.provenance["freq_axis"] == 0
    assert np.allclose(_contrast_cube(report.path)[0], lorentzian_cube(), rtol=1e-12)


def test_imported_cube_fits_like_a_session(tmp_path, sources):
    from analysis.pipeline import fit_session_file

    report = import_cube(sources["npy"], tmp_path / "s.h5", freq=sources["freq_npy"], pixel_size_um=3.0)
    summary = fit_session_file(report.path, model="lorentzian", d_hz=2.870e9)
    session = read_session(report.path)
    rows, cols = SHAPE
    true_f0 = 2.870e9 + 5e5 * (np.arange(cols)[None, :] - np.arange(rows)[:, None] / 2)
    assert summary.converged_fraction == 1.0
    # the imported values reach the fitter unchanged: its centre errors match its own uncertainties
    z = (session.fit["center_hz"] - true_f0) / session.fit["center_err_hz"]
    assert np.all(np.abs(z) < 5) and 0.7 < np.std(z) < 1.3  # 168 pixels: std of z within ~+-0.1


def test_missing_variables_are_listed(tmp_path, sources):
    with pytest.raises(MissingVariableError, match=r"\['Ftot', 'M', 'other'\]"):
        import_cube(sources["mat5"], tmp_path / "s.h5", cube_var="cube", freq_var="Ftot", pixel_size_um=1.3)
    with pytest.raises(MissingVariableError, match="'Ftot', 'M'"):
        import_cube(sources["mat73"], tmp_path / "s.h5", cube_var="M", freq_var="freqs", pixel_size_um=1.3)
    with pytest.raises(MissingVariableError, match="say which"):
        import_cube(sources["mat5"], tmp_path / "s.h5", freq_var="Ftot", pixel_size_um=1.3)


def test_shape_errors(tmp_path, sources):
    np.save(tmp_path / "flat.npy", np.ones((4, 41)))
    with pytest.raises(ShapeError, match=r"\(4, 41\)"):
        import_cube(tmp_path / "flat.npy", tmp_path / "s.h5", freq=sources["freq_npy"], pixel_size_um=1.3)
    with pytest.raises(ShapeError, match="40 values"):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=FREQ_HZ[:40], pixel_size_um=1.3)
    (tmp_path / "table.csv").write_text("1,2\n3,4\n")
    with pytest.raises(ShapeError, match="one column"):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=tmp_path / "table.csv", pixel_size_um=1.3)


def test_frequencies_not_increasing(tmp_path, sources):
    with pytest.raises(FrequencyOrderError, match="reverse"):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=FREQ_HZ[::-1].copy(), pixel_size_um=1.3)
    repeated = FREQ_HZ.copy()
    repeated[5] = repeated[4]
    with pytest.raises(FrequencyOrderError, match="value 5"):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=repeated, pixel_size_um=1.3)


def test_all_nan_and_partly_nan(tmp_path, sources):
    np.save(tmp_path / "nan.npy", np.full((3, 3, 41), np.nan))
    with pytest.raises(EmptyDataError, match="no finite value"):
        import_cube(tmp_path / "nan.npy", tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    cube = lorentzian_cube()
    cube[1, 2, 5] = np.nan
    cube[3, 0, 7] = -np.inf
    np.save(tmp_path / "some.npy", cube)
    report = import_cube(tmp_path / "some.npy", tmp_path / "t.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    contrast = _contrast_cube(report.path)[0]
    assert np.isnan(contrast[1, 2, 5]) and np.isnan(contrast[3, 0, 7]) and np.count_nonzero(np.isnan(contrast)) == 2
    assert report.provenance["non_finite_values"] == 2


def test_missing_and_unsupported_files(tmp_path, sources):
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        import_cube(tmp_path / "nothing.npy", tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    (tmp_path / "cube.xyz").write_text("1")
    with pytest.raises(UnsupportedFormatError, match=".xyz"):
        import_cube(tmp_path / "cube.xyz", tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    (tmp_path / "fake.mat").write_text("not matlab at all")
    with pytest.raises(UnsupportedFormatError, match="MATLAB"):
        import_cube(tmp_path / "fake.mat", tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    import_cube(sources["npy"], tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)
    with pytest.raises(SessionExistsError):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=FREQ_HZ, pixel_size_um=1.3)


@pytest.mark.parametrize("units, scale_t", [("gauss", 1e-4), ("microtesla", 1e-6), ("tesla", 1.0), ("uT", 1e-6)])
def test_field_map_units(tmp_path, units, scale_t):
    b = np.random.default_rng(1).normal(0, 1, (20, 24))
    scipy.io.savemat(tmp_path / "qdm.mat", {"B111ferro": b, "B111para": b * 0})
    report = import_field_map(tmp_path / "qdm.mat", tmp_path / "s.h5", map_var="B111ferro", units=units,
                              pixel_size_um=4.7)
    session = read_session(report.path)
    assert np.allclose(session.field_map["b_nv_t"], b * scale_t, rtol=1e-15, atol=0)
    assert np.allclose(session.field_map["b_nv_residual_t"], b * scale_t, rtol=1e-15, atol=0)
    assert session.field_map.settings["pixel_size_m"] == pytest.approx(4.7e-6)
    assert session.instrument_settings["import"]["map_var"] == "B111ferro"


def test_field_map_errors(tmp_path):
    b = np.ones((10, 12))
    np.save(tmp_path / "map.npy", b)
    with pytest.raises(UnitsError, match="oersted"):
        import_field_map(tmp_path / "map.npy", tmp_path / "s.h5", units="oersted", pixel_size_um=1)
    with pytest.raises(ValueError, match="pixel_size_um"):
        import_field_map(tmp_path / "map.npy", tmp_path / "s.h5", units="tesla", pixel_size_um=None)
    np.save(tmp_path / "cube.npy", np.ones((3, 10, 12)))
    with pytest.raises(ShapeError, match=r"\(3, 10, 12\)"):
        import_field_map(tmp_path / "cube.npy", tmp_path / "s.h5", units="tesla", pixel_size_um=1)
    np.save(tmp_path / "nan.npy", b * np.nan)
    with pytest.raises(EmptyDataError):
        import_field_map(tmp_path / "nan.npy", tmp_path / "s.h5", units="tesla", pixel_size_um=1)
    tifffile.imwrite(tmp_path / "map.tif", b.astype(np.float32))
    report = import_field_map(tmp_path / "map.tif", tmp_path / "t.h5", units="gauss", pixel_size_um=2)
    assert np.allclose(read_session(report.path).field_map["b_nv_t"], 1e-4)


def test_imported_map_with_background_is_analysable(tmp_path):
    rows, cols = np.mgrid[0:30, 0:30]
    b = 2e-6 + 1e-8 * rows  # a tilt, removed by an order-1 background
    np.save(tmp_path / "map.npy", b / 1e-4)
    report = import_field_map(tmp_path / "map.npy", tmp_path / "s.h5", units="gauss", pixel_size_um=1.3,
                              background_order=1)
    session = read_session(report.path)
    assert np.abs(session.field_map["b_nv_residual_t"]).max() < 1e-12
    with h5py.File(report.path, "r") as f:
        assert f["acquisition/step_done"][()].sum() == 0


def test_npz_and_imagej_labels(tmp_path):
    cube = lorentzian_cube()
    np.savez(tmp_path / "scan.npz", data=cube, f_ghz=FREQ_HZ / 1e9)
    report = import_cube(tmp_path / "scan.npz", tmp_path / "a.h5", cube_var="data", freq_var="f_ghz", pixel_size_um=1.3)
    assert np.allclose(_contrast_cube(report.path)[0], cube, rtol=1e-12)
    assert report.provenance["variables_present"] == ["data", "f_ghz"]
    # an ImageJ stack whose slice labels are the frequencies in GHz (as Fiji users label them)
    tifffile.imwrite(tmp_path / "stack.tif", np.moveaxis(cube, -1, 0).astype(np.float32), imagej=True,
                     metadata={"Labels": [f"{f / 1e9:.9f}" for f in FREQ_HZ]})
    report = import_cube(tmp_path / "stack.tif", tmp_path / "b.h5", pixel_size_um=1.3)
    assert report.provenance["freq_source"] == "TIFF metadata" and report.provenance["freq_units"] == "GHz"
    assert np.allclose(read_session(report.path).freq_hz, FREQ_HZ, rtol=1e-12)
    tifffile.imwrite(tmp_path / "bare.tif", np.moveaxis(cube, -1, 0).astype(np.float32))
    with pytest.raises(ValueError, match="no frequency list"):
        import_cube(tmp_path / "bare.tif", tmp_path / "c.h5", pixel_size_um=1.3)


def test_a_cube_needs_its_pixel_size(sources, tmp_path):
    # Calibration comes from the user, never from a constant: without a pixel size nothing is written.
    with pytest.raises(ExchangeError, match="pixel size at the sample"):
        import_cube(sources["npy"], tmp_path / "s.h5", freq=sources["freq_npy"])
    assert not (tmp_path / "s.h5").exists()


def test_a_damaged_v73_mat_file_gives_a_clear_error_in_time(sources, tmp_path):
    # v7.3 .mat files are HDF5, on which HDF5 can loop for ever when damaged: they are checked in a child process
    # with a deadline first, as sessions are; damage is then one typed error naming the file.
    from analysis.session import SessionError

    data = bytearray(sources["mat73"].read_bytes())
    cut = tmp_path / "cut.mat"
    cut.write_bytes(data[: len(data) // 3])
    flipped = tmp_path / "flipped.mat"
    for offset in range(520, 560, 3):  # the HDF5 superblock, after MATLAB's 512-byte header
        data[offset] ^= 0xFF
    flipped.write_bytes(bytes(data))
    for path in (cut, flipped):
        started = time.monotonic()
        with pytest.raises((ExchangeError, SessionError)) as failure:
            import_cube(path, tmp_path / f"{path.stem}.h5", cube_var="M", freq_var="Ftot", pixel_size_um=1.3)
        assert str(path) in str(failure.value) and "\n" not in str(failure.value)
        assert time.monotonic() - started < 10
