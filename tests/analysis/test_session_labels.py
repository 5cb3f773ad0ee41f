"""Session files as labelled arrays (HDF5 dimension scales read by xarray/h5netcdf) and the documented
contrast recipe (docs/session_files.md), run as written against nvscope's own spin contrast."""

import pathlib
import re
import time

import h5py
import numpy as np
import pytest

from analysis.session import (
    SessionWriter,
    compact_session,
    migrate_session,
    read_session,
    write_cells,
    write_field_map,
    write_fit_results,
)

xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

SHAPE = (5, 6)
FREQ_HZ = np.array([2.86e9, 2.87e9, 2.88e9, 2.89e9])
PIXEL_M = 2.5e-6
DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "session_files.md"


def _session(path, dark=True, n_sweeps=2, steps=None):
    rng = np.random.default_rng(4)
    dark_frame = rng.uniform(90, 110, SHAPE) if dark else None
    with SessionWriter.create(path, frame_shape=SHAPE, freq_hz=FREQ_HZ, plan={}, instrument_settings={},
                              sample_metadata={"name": "t", "pixel_size_m": PIXEL_M},
                              truth={"b_nv_t": np.zeros(SHAPE)}, dark_frame_adu=dark_frame) as writer:
        for sweep in range(n_sweeps):
            for step in (range(len(FREQ_HZ)) if steps is None else steps):
                on = rng.integers(900 * 3, 1100 * 3, SHAPE)
                off = rng.integers(1000 * 3, 1200 * 3, SHAPE)
                writer.write_step(step, sweep, on, off, 3, time.time(), time.time())
        writer.finish("finished")
    return path


def _no_phony(ds):
    return not [d for d in ds.dims if str(d).startswith("phony_dim")]


def test_acquisition_is_labelled_after_compaction_and_migration(tmp_path):
    path = _session(tmp_path / "s.h5")  # two sweeps: finish() compacts the file (copies every object)
    for target in (path, tmp_path / "copy.h5"):
        if target != path:
            migrate_session(path, target)
        with xr.open_dataset(target, group="acquisition", engine="h5netcdf") as ds:
            assert _no_phony(ds)
            assert ds["on_sum"].dims == ("freq_hz", "y_m", "x_m")
            assert ds["dark_frame_adu"].dims == ("y_m", "x_m") and ds["n_pairs"].dims == ("freq_hz",)
            assert np.array_equal(ds["freq_hz"].values, FREQ_HZ)
            assert np.allclose(ds["x_m"].values, np.arange(SHAPE[1]) * PIXEL_M)
            assert ds["x_m"].attrs["units"] == "m"
        for group in ("acquisition/journal", "truth"):
            with xr.open_dataset(target, group=group, engine="h5netcdf") as ds:
                assert _no_phony(ds)
        session = read_session(target)
        assert session.truth == {"b_nv_t": pytest.approx(np.zeros(SHAPE))}  # coordinates are not truth


def test_result_groups_are_labelled_and_coordinates_are_not_results(tmp_path):
    path = _session(tmp_path / "s.h5", n_sweeps=1)
    b = np.random.default_rng(1).normal(0, 1e-6, SHAPE)
    write_field_map(path, {"b_nv_t": b, "b_nv_residual_t": b}, settings={"pixel_size_m": 2 * PIXEL_M})
    write_fit_results(path, {"center_hz": np.full(SHAPE, 2.87e9), "params": np.zeros((*SHAPE, 4))},
                      units={"params": "1"}, settings={"binning": 1})
    write_cells(path, [{"row_px": 1.0, "z_m": 2e-6, "label": "a"}, {"row_px": 2.0, "z_m": 3e-6, "label": ""}],
                snippets={"measured_t": np.zeros((2, 32, 32))})
    compact_session(path)
    with xr.open_dataset(path, group="analysis/field_map", engine="h5netcdf") as ds:
        assert _no_phony(ds) and ds["b_nv_t"].dims == ("y_m", "x_m")
        assert np.allclose(ds["y_m"].values, np.arange(SHAPE[0]) * 2 * PIXEL_M)  # the map's pixel size
        assert np.array_equal(ds["b_nv_t"].values, b)
    with xr.open_dataset(path, group="analysis/fit", engine="h5netcdf") as ds:
        assert _no_phony(ds) and ds["params"].dims == ("y_m", "x_m", "params_axis2")
    with xr.open_dataset(path, group="analysis/cells", engine="h5netcdf") as ds:
        assert _no_phony(ds) and ds["z_m"].dims == ("cell",)
    with xr.open_dataset(path, group="analysis/cells/snippets", engine="h5netcdf") as ds:
        assert ds["measured_t"].dims == ("cell", "snippet_y_m", "snippet_x_m")
    session = read_session(path)
    assert sorted(session.field_map.arrays) == ["b_nv_residual_t", "b_nv_t"]
    assert sorted(session.fit.arrays) == ["center_hz", "params"]
    # a table written without the usable verdict reads with one ("not assessed (older file)")
    assert list(session.cells.columns) == ["row_px", "z_m", "label", "usable", "usable_reason"]
    assert not session.cells.snippet_problems


def _documented_recipe():
    """The first Python block of docs/session_files.md (the h5py example that computes the contrast)."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    recipe = next(b for b in blocks if "contrast" in b and "h5py" in b)
    assert not re.search(r"^\s*(import|from) (analysis|nvscope)", recipe, flags=re.M)  # plain h5py and numpy
    return recipe


@pytest.mark.parametrize("dark", [True, False])
def test_documented_contrast_recipe_matches_nvscope(tmp_path, dark):
    path = _session(tmp_path / "s.h5", dark=dark, n_sweeps=2, steps=[0, 1, 3])  # step 2 never measured
    namespace = {}
    exec(_documented_recipe().replace('"sample.h5"', repr(str(path))), namespace)  # noqa: S102 - our own docs
    session = read_session(path)
    expected = session.spin_contrast()[session.step_done]
    # same float64 arithmetic on the same integers: equal to rounding (1e-15 relative)
    assert namespace["contrast"].shape == expected.shape == (3, *SHAPE)
    assert np.allclose(namespace["contrast"], expected, rtol=1e-14, atol=0)
    if dark:  # the dark frame matters: on/off alone differs by far more than rounding
        with h5py.File(path, "r") as f:
            done = f["acquisition/step_done"][()].astype(bool)
            plain = f["acquisition/on_sum"][()][done] / f["acquisition/off_sum"][()][done]
        assert np.abs(plain - expected).max() > 1e-3
