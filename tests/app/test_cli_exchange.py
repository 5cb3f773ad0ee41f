"""``nvscope import`` / ``nvscope export`` through the CLI's main: import -> fit -> export -> import gives the
same map (made-up cube and real measured spectra), and bad input gives one line, not a traceback."""

import numpy as np
import pytest
import tifffile

from analysis.session import read_session
from app.cli import main
from tests.analysis.exchange_files import write_sources
from tests.analysis.test_exchange_roundtrip import ONE_DIP, ONE_DIP_FREQ_HZ, needs_real


def _nvscope(*argv):
    return main([str(a) for a in argv])


def _round_trip(tmp_path, source_args, pixel_size_um, model):
    """import -> fit -> export (TIFF and .mat) -> import of each; returns (first, from TIFF, from .mat) maps."""
    first = tmp_path / "first.h5"
    assert _nvscope("import", *source_args, "--out", first, "--pixel-size-um", pixel_size_um) == 0
    assert _nvscope("fit", first, "--model", model) == 0
    assert _nvscope("export", first, "--what", "field-map", "--out", tmp_path / "b.tif") == 0
    assert _nvscope("export", first, "--what", "field-map", "--out", tmp_path / "b.mat") == 0
    assert _nvscope("import", tmp_path / "b.tif", "--out", tmp_path / "tif.h5", "--units", "tesla",
                    "--pixel-size-um", pixel_size_um) == 0
    assert _nvscope("import", tmp_path / "b.mat", "--out", tmp_path / "mat.h5", "--units", "tesla",
                    "--map-var", "b_nv_residual_t", "--pixel-size-um", pixel_size_um) == 0
    with tifffile.TiffFile(tmp_path / "b.tif") as tif:
        x_res = tif.pages[0].tags["XResolution"].value
        assert tif.pages[0].dtype == np.float32
    assert x_res[1] / x_res[0] == pytest.approx(pixel_size_um)  # um per pixel, as Fiji reads it
    return [read_session(p).field_map for p in (first, tmp_path / "tif.h5", tmp_path / "mat.h5")]


def _assert_same(first, from_tif, from_mat, pixel_size_um):
    expected = first["b_nv_residual_t"]
    assert np.isfinite(expected).mean() > 0.9
    # the TIFF holds float32: rounding is 2^-24 of the value; the .mat keeps float64 exactly
    assert np.allclose(from_tif["b_nv_t"], expected, rtol=2 ** -23, atol=0, equal_nan=True)
    np.testing.assert_array_equal(from_mat["b_nv_t"], expected)
    for again in (from_tif, from_mat):
        assert again.settings["pixel_size_m"] == pytest.approx(pixel_size_um * 1e-6)


def test_made_up_cube_round_trip(tmp_path, capsys):
    sources = write_sources(tmp_path)
    maps = _round_trip(tmp_path, (sources["mat73"], "--cube-var", "M", "--freq-var", "Ftot"), 1.5, "lorentzian")
    _assert_same(*maps, 1.5)
    err = capsys.readouterr().err
    assert "GHz (frequency units inferred" in err  # the rule used is printed
    assert str(tmp_path / "b.tif") in err


@needs_real
def test_real_odmr_round_trip(tmp_path):
    np.savetxt(tmp_path / "freq_ghz.txt", ONE_DIP_FREQ_HZ / 1e9)
    maps = _round_trip(tmp_path, (ONE_DIP, "--freq", tmp_path / "freq_ghz.txt"), 2.0, "lorentzian")
    _assert_same(*maps, 2.0)


def _one_line_error(capsys, *argv):
    assert _nvscope(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_input_is_one_line(tmp_path, capsys):
    sources = write_sources(tmp_path)
    err = _one_line_error(capsys, "import", tmp_path / "missing.mat", "--out", tmp_path / "a.h5")
    assert err.startswith("nvscope import: error:") and "missing.mat" in err
    err = _one_line_error(capsys, "import", sources["mat5"], "--out", tmp_path / "a.h5", "--cube-var", "X",
                          "--freq-var", "Ftot")
    assert "'X'" in err and "Ftot" in err  # the variables present are listed
    err = _one_line_error(capsys, "import", sources["npy"], "--out", tmp_path / "a.h5", "--map-var", "B")
    assert "--units" in err
    np.save(tmp_path / "map.npy", np.full((6, 7), np.nan))
    err = _one_line_error(capsys, "import", tmp_path / "map.npy", "--out", tmp_path / "m.h5", "--units", "gauss",
                          "--pixel-size-um", 1)
    assert "map.npy" in err
    np.save(tmp_path / "map.npy", np.full((6, 7), 3.0))
    assert _nvscope("import", tmp_path / "map.npy", "--out", tmp_path / "m.h5", "--units", "gauss",
                    "--pixel-size-um", 1) == 0
    capsys.readouterr()
    err = _one_line_error(capsys, "import", tmp_path / "map.npy", "--out", tmp_path / "m.h5", "--units", "gauss",
                          "--pixel-size-um", 1)
    assert "m.h5" in err  # never replaced without --force
    err = _one_line_error(capsys, "export", tmp_path / "m.h5", "--what", "fit-maps", "--out", tmp_path / "f.mat")
    assert "nvscope fit" in err  # a map-only session has no fit
    err = _one_line_error(capsys, "export", tmp_path / "m.h5", "--what", "field-map", "--out", tmp_path / "f.png")
    assert ".png" in err
    assert _nvscope("export", tmp_path / "m.h5", "--what", "field-map", "--out", tmp_path / "f.tif") == 0
    assert np.allclose(tifffile.imread(tmp_path / "f.tif"), 3e-4)  # 3 G
