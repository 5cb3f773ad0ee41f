"""Inference with the committed ONNX model through onnxruntime (no torch needed)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from analysis import physics
from analysis.cells import CellCNN, CellModelError, default_model_path
from analysis.cells.cnn import card_path_for, file_sha256
from models.training_data import DEFAULT_RECIPE, render_cells_snippet_t


@pytest.fixture(scope="module")
def cnn():
    return CellCNN()


def test_committed_model_and_card_belong_together(cnn):
    card = json.loads(card_path_for(default_model_path()).read_text())
    assert card["onnx_sha256"] == file_sha256(default_model_path()) == cnn.sha256
    assert cnn.identity() == {"name": "nvscope_cell_cnn", "version": card["version"],
                              "file": "nvscope_cell_cnn.onnx", "sha256": cnn.sha256}


def test_card_states_the_contract(cnn):
    card = cnn.card
    assert card["input"]["shape"] == ["N", 1, 32, 32] and card["input"]["units"] == "T"
    assert [o["name"] for o in card["outputs"]][:6] == [
        "x_px", "y_px", "z_m", "diameter_m", "log10_iron_mass_kg", "background_t"]
    assert cnn.pixel_size_m == pytest.approx(1.3e-6)
    assert card["parity"]["max_abs_diff_standardised"] < 1e-4
    for key in ("z_m", "diameter_m", "iron_mass_kg", "noise_sigma_t"):
        assert len(card["training_ranges"][key]) == 2
    assert card["held_out"]["count"] == 2000 and card["held_out"]["noise_sigma_t"] == pytest.approx(50e-9)


def test_outputs_have_the_batch_shape_and_si_units(cnn):
    cells = [physics.LabelledCell(x_m=0.0, y_m=0.0, z_m=z, diameter_m=10e-6, iron_mass_kg=2e-15, n_clusters=60,
                                  cluster_seed=k) for k, z in enumerate((8e-6, 15e-6, 25e-6))]
    snippets = np.stack([render_cells_snippet_t([c]) for c in cells])
    out = cnn.predict(snippets)
    assert set(out) == {"x_px", "y_px", "z_m", "diameter_m", "log10_iron_mass_kg", "iron_mass_kg", "background_t"}
    assert all(v.shape == (3,) and v.dtype == np.float64 for v in out.values())
    assert np.all((out["z_m"] > 2e-6) & (out["z_m"] < 60e-6))  # metres, not micrometres
    np.testing.assert_allclose(out["iron_mass_kg"], 10.0 ** out["log10_iron_mass_kg"])
    assert cnn.predict(snippets[0])["z_m"].shape == (1,)


def test_clean_cell_is_recovered(cnn):
    # Tolerances from the held-out metrics in the card: for bright cells (peak SNR > 100, the nearest case to a
    # noiseless snippet) the median errors are 7 % in mass, 0.6 um in z and 0.5 px in position (0.5 px of which
    # is the moment centroid's own offset from the centre); a typical cell well inside the ranges must come out
    # within about 4x those: mass 30 %, z 3 um, position 1 px.
    p = DEFAULT_RECIPE.pixel_size_m
    cell = physics.LabelledCell(x_m=0.7 * p, y_m=-1.4 * p, z_m=15e-6, diameter_m=12e-6, iron_mass_kg=1.75e-15,
                                n_clusters=80, cluster_seed=4)
    out = cnn.predict(render_cells_snippet_t([cell]), pixel_size_m=p)
    assert out["iron_mass_kg"][0] == pytest.approx(1.75e-15, rel=0.30)
    assert out["z_m"][0] == pytest.approx(15e-6, abs=3e-6)
    assert np.hypot(out["x_px"][0] - 0.7, out["y_px"][0] + 1.4) < 1.0


def test_pixel_size_mismatch_is_refused(cnn):
    with pytest.raises(CellModelError, match="pixel size 1.6 um differs from the 1.3 um"):
        cnn.predict(np.zeros((1, 32, 32)), pixel_size_m=1.6e-6)


def test_bad_snippets_are_refused(cnn):
    with pytest.raises(CellModelError, match="shape"):
        cnn.predict(np.zeros((2, 31, 32)))
    bad = np.zeros((1, 32, 32))
    bad[0, 3, 4] = np.nan
    with pytest.raises(CellModelError, match="not finite"):
        cnn.predict(bad)


def test_model_with_a_card_of_another_file_is_refused(tmp_path):
    model = tmp_path / "other.onnx"
    shutil.copy(default_model_path(), model)
    card = json.loads(card_path_for(default_model_path()).read_text())
    card["onnx_sha256"] = "0" * 64
    card_path_for(model).write_text(json.dumps(card))
    with pytest.raises(CellModelError, match="do not belong together"):
        CellCNN(model)


def test_inference_never_imports_torch():
    code = "import sys, analysis.cells, models; analysis.cells.CellCNN(); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(default_model_path().parents[1]))
