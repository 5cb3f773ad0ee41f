"""Export of session results (TIFF with ImageJ pixel size, MATLAB .mat, CSV) and round trips
import -> fit -> export -> import, on real measured spectra (shared/data/real_odmr) and made-up files."""

import csv
import pathlib

import numpy as np
import pytest
import scipy.io
import tifffile

from analysis.exchange import (
    ExchangeError,
    UnsupportedFormatError,
    export_cells,
    export_field_map,
    export_fit_maps,
    export_session,
    import_cube,
    import_field_map,
)
from analysis.odmr import fit_odmr
from analysis.pipeline import fit_session_file
from analysis.session import read_session, write_cells

REAL = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real_odmr"  # beside the repository
ONE_DIP = REAL / "2D_ODMR_scan_1730052773.npy"
ONE_DIP_FREQ_HZ = np.linspace(2.85e9, 2.89e9, 100)  # README: from the scan's json sidecar
needs_real = pytest.mark.skipif(not ONE_DIP.exists(), reason="shared/data/real_odmr is not on this machine")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """The real 40 x 40 x 100 one-dip scan imported, fitted (Lorentzian) and given a two-row cell table."""
    if not ONE_DIP.exists():
        pytest.skip("shared/data/real_odmr is not on this machine")
    folder = tmp_path_factory.mktemp("real")
    np.savetxt(folder / "freq_ghz.txt", ONE_DIP_FREQ_HZ / 1e9)
    report = import_cube(ONE_DIP, folder / "real.h5", freq=folder / "freq_ghz.txt", pixel_size_um=2.0)
    fit_session_file(report.path, model="lorentzian")
    write_cells(report.path, [
        {"row_px": 3.5, "col_px": 7.0, "z_m": 9.5e-6, "iron_mass_g": 1.2e-12, "flag": 0, "label": "a, b"},
        {"row_px": 20.0, "col_px": 31.25, "z_m": float("nan"), "iron_mass_g": 3e-13, "flag": 2, "label": ""}])
    return pathlib.Path(report.path), folder


@needs_real
def test_real_cube_fits_as_the_raw_array_does(fitted):
    """The imported session's fit equals a fit of the raw .npy cube: the import changes no value."""
    path, _ = fitted
    raw = fit_odmr(np.load(ONE_DIP), ONE_DIP_FREQ_HZ, model="lorentzian", d_hz=2.87e9)
    stored = read_session(path).fit
    assert raw.converged_fraction > 0.95
    assert np.allclose(stored["center_hz"], raw.center_hz, rtol=0, atol=1.0, equal_nan=True)  # 1 Hz of ~10 MHz widths


@needs_real
def test_field_map_tiff_is_float32_with_imagej_pixel_size(fitted, tmp_path):
    path, _ = fitted
    (out,) = export_field_map(path, tmp_path / "b.tif")
    with tifffile.TiffFile(out) as tif:
        array = tif.asarray()
        x_res = tif.pages[0].tags["XResolution"].value
        assert tif.imagej_metadata["unit"] == "um"
    assert array.dtype == np.float32
    assert x_res[1] / x_res[0] == pytest.approx(2.0)  # um per pixel, as Fiji reads it
    expected = read_session(path).field_map["b_nv_residual_t"]
    assert np.allclose(array, expected, rtol=1e-7, atol=0, equal_nan=True)  # float32 rounding


@needs_real
@pytest.mark.parametrize("suffix, rtol", [(".mat", 0.0), (".tif", 1e-7)])
def test_round_trip_import_fit_export_import(fitted, tmp_path, suffix, rtol):
    path, _ = fitted
    (out,) = export_field_map(path, tmp_path / f"b{suffix}")
    again = import_field_map(out, tmp_path / "again.h5", units="tesla", pixel_size_um=2.0,
                             map_var="b_nv_residual_t" if suffix == ".mat" else None)
    first, second = read_session(path).field_map, read_session(again.path).field_map
    assert np.allclose(second["b_nv_t"], first["b_nv_residual_t"], rtol=rtol, atol=0, equal_nan=True)
    assert second.settings["pixel_size_m"] == pytest.approx(first.settings["pixel_size_m"])


@needs_real
def test_fit_maps_mat_and_tiff(fitted, tmp_path):
    path, _ = fitted
    fit = read_session(path).fit
    (mat,) = export_fit_maps(path, tmp_path / "fit.mat")
    content = scipy.io.loadmat(mat)
    assert np.array_equal(content["center_hz"], fit["center_hz"], equal_nan=True)
    assert content["units_center_hz"][0] == "Hz" and content["pixel_size_um"][0, 0] == pytest.approx(2.0)
    assert content["param_names"][0] == fit.settings["param_names"]
    written = export_fit_maps(path, tmp_path / "fit.tif")
    names = {pathlib.Path(p).stem for p in written}
    assert {"fit_center_hz", "fit_fwhm_hz", "fit_contrast"} <= names
    assert "fit_params" not in names  # 3-D: only in the .mat
    center = tifffile.imread(tmp_path / "fit_center_hz.tif")
    assert np.allclose(center, fit["center_hz"], rtol=1e-7, equal_nan=True)


@needs_real
def test_cells_csv_and_mat(fitted, tmp_path):
    path, _ = fitted
    (out,) = export_session(path, tmp_path / "cells.csv", "cells")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:4] == ["row_px", "col_px", "z_m", "iron_mass_g"]
    first = dict(zip(header, rows[1], strict=True))
    second = dict(zip(header, rows[2], strict=True))
    assert float(first["z_m"]) == 9.5e-6 and first["label"] == "a, b"
    assert second["z_m"] == "" and float(second["col_px"]) == 31.25  # NaN -> empty cell
    (mat,) = export_cells(path, tmp_path / "cells.mat")
    content = scipy.io.loadmat(mat)
    assert np.allclose(content["iron_mass_g"].ravel(), [1.2e-12, 3e-13])


def test_export_errors(tmp_path):
    b = np.ones((10, 12))
    np.save(tmp_path / "map.npy", b)
    report = import_field_map(tmp_path / "map.npy", tmp_path / "s.h5", units="tesla", pixel_size_um=1)
    with pytest.raises(ExchangeError, match="no fit maps"):
        export_fit_maps(report.path, tmp_path / "fit.mat")
    with pytest.raises(ExchangeError, match="no cell table"):
        export_cells(report.path, tmp_path / "c.csv")
    with pytest.raises(UnsupportedFormatError, match=".png"):
        export_field_map(report.path, tmp_path / "b.png")
    with pytest.raises(UnsupportedFormatError, match="tiff or mat"):
        export_field_map(report.path, tmp_path / "b.csv")
    with pytest.raises(ExchangeError, match="choose one of"):
        export_session(report.path, tmp_path / "b.tif", "figures")
    (out,) = export_field_map(report.path, tmp_path / "b.tif")
    assert np.array_equal(tifffile.imread(out), b.astype(np.float32))


def test_qdmlab_style_gauss_map_is_analysed_like_a_session(tmp_path):
    """A B111 map in gauss inside a .mat file, as QDMlab writes it, goes through the cell analysis."""
    from analysis import physics
    from analysis.session_cells import analyse_session_cells

    pixel_m = 1.3e-6
    x_m, y_m = physics.pixel_coordinates_m(48, 48, pixel_m)
    cell = physics.LabelledCell(x_m=x_m[24], y_m=y_m[22], z_m=9e-6, diameter_m=12e-6, iron_mass_kg=4e-15,
                                layout="uniform")
    b_t = physics.cells_b_nv_map_t([cell], x_m, y_m, physics.nv_axis())
    b_t += np.random.default_rng(2).normal(0, 0.3e-6, b_t.shape)  # 0.3 uT noise, peak field ~25 uT
    scipy.io.savemat(tmp_path / "B111.mat", {"B111ferro": b_t / 1e-4, "B111para": np.zeros_like(b_t)})
    report = import_field_map(tmp_path / "B111.mat", tmp_path / "s.h5", map_var="B111ferro", units="gauss",
                              pixel_size_um=1.3)
    assert analyse_session_cells(report.path, use_cnn=False) == 1
    (row,) = read_session(report.path).cells.records()
    assert (row["row_px"], row["col_px"]) == (pytest.approx(22, abs=1), pytest.approx(24, abs=1))
    # SNR ~80 at the peak: the physics refinement is within a few per cent of the truth
    assert row["z_m"] == pytest.approx(9e-6, rel=0.1)
    assert row["iron_mass_g"] == pytest.approx(4e-12, rel=0.15)


@needs_real
def test_real_two_dip_scan_split_into_two_transitions(tmp_path):
    """The 16 x 16 two-dip scan (f- near 2.862, f+ near 2.896 GHz): split_hz makes two windows, so the fit
    gives B_NV and D per pixel; D = (f- + f+) / 2 is 2.879 GHz by the README's dip positions."""
    source = REAL / "2D_ODMR_scan_1730338486.npy"
    report = import_cube(source, tmp_path / "two.h5", freq=np.linspace(2.80e9, 2.94e9, 100), split_hz=2.879e9,
                         pixel_size_um=1.3)
    summary = fit_session_file(report.path, model="lorentzian")
    session = read_session(report.path)
    assert summary.transitions == 2 and set(np.unique(session.window_index)) == {0, 1}
    d_hz = session.fit["d_hz"][session.fit["converged"]]
    assert summary.converged_fraction > 0.9
    assert np.median(d_hz) == pytest.approx(2.879e9, abs=5e6)  # (2.862 + 2.896) / 2 from the README
    with pytest.raises(ExchangeError, match="outside the sweep"):
        import_cube(source, tmp_path / "bad.h5", freq=np.linspace(2.80e9, 2.94e9, 100), split_hz=3e9, pixel_size_um=1.3)


def test_a_format_that_contradicts_the_file_name_is_refused(tmp_path):
    from analysis.exchange import UnsupportedFormatError
    from analysis.exchange.exporting import format_of

    assert format_of(tmp_path / "map.tif", "tiff") == "tiff" and format_of(tmp_path / "map", "mat") == "mat"
    with pytest.raises(UnsupportedFormatError, match="name says tiff"):
        format_of(tmp_path / "map.tif", "mat")
