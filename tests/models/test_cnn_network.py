"""The PyTorch network and its ONNX export (needs the optional ``train`` extra: skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from models.export_onnx import INPUT_NAME, PARITY_TOLERANCE, STANDARDISED_NAME, export, onnx_session  # noqa: E402
from models.network import (  # noqa: E402
    OUTPUT_NAMES,
    CellNet,
    ExportedCellNet,
    network_of,
    physical_outputs,
    standardise_targets,
)
from models.train import amplitude_t  # noqa: E402
from models.training_data import generate_snippets  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return generate_snippets(64, seed=21)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "centre_view"])
def net(request):
    torch.manual_seed(0)
    model = CellNet(centre_view=request.param)
    # a few training-mode passes give the batch-norm layers non-trivial running statistics
    x = torch.from_numpy(generate_snippets(128, seed=22)[0][:, None])
    with torch.no_grad():
        for _ in range(3):
            model(x)
    return model.eval()


def test_network_gives_one_standardised_value_per_output(net, data):
    out = net(torch.from_numpy(data[0][:, None]))
    assert out.shape == (64, len(OUTPUT_NAMES)) and torch.all(torch.isfinite(out))


def test_exported_module_gives_physical_outputs_and_the_standardised_ones(net, data):
    x = torch.from_numpy(data[0][:, None])
    with torch.no_grad():
        outs = ExportedCellNet(net)(x)
    assert len(outs) == len(OUTPUT_NAMES) + 1
    assert all(o.shape == (64,) for o in outs[:-1]) and outs[-1].shape == (64, 6)


def test_standardised_targets_map_back_to_the_truth(data):
    snippets, truth = data
    t = torch.from_numpy(standardise_targets(truth, amplitude_t(snippets)))
    values = dict(zip(OUTPUT_NAMES, physical_outputs(t, torch.from_numpy(snippets[:, None])), strict=True))
    np.testing.assert_allclose(values["x_px"].numpy(), truth["x_px"], atol=1e-5)
    np.testing.assert_allclose(values["z_m"].numpy(), truth["z_m"], rtol=1e-5)
    np.testing.assert_allclose(values["diameter_m"].numpy(), truth["diameter_m"], rtol=1e-5)
    np.testing.assert_allclose(values["log10_iron_mass_kg"].numpy(), np.log10(truth["iron_mass_kg"]), atol=1e-4)
    np.testing.assert_allclose(values["background_t"].numpy(), truth["background_t"], rtol=1e-4, atol=1e-13)


def test_onnx_export_matches_torch_to_1e_4(net, data, tmp_path):
    path = tmp_path / "cnn.onnx"
    export(net, path)
    snippets = data[0][:, None]
    with torch.no_grad():
        ref = [o.numpy() for o in ExportedCellNet(net)(torch.from_numpy(snippets))]
    got = onnx_session(path).run(None, {INPUT_NAME: snippets})
    names = [*OUTPUT_NAMES, STANDARDISED_NAME]
    assert np.max(np.abs(ref[-1] - got[names.index(STANDARDISED_NAME)])) < PARITY_TOLERANCE
    # physical outputs: z in metres to 1e-4 of the standardisation scale (9 um) -> 1e-9 m
    assert np.max(np.abs(ref[names.index("z_m")] - got[names.index("z_m")])) < 1e-9


def test_checkpoint_arguments_choose_the_network():
    """Runs from before the centre view have no such argument: they get the plain three-channel network."""
    old = network_of({"widths": [24, 32, 48], "hidden": 96})
    new = network_of({"widths": [24, 32, 48], "hidden": 96, "centre_view": True})
    assert not old.centre_view and old.trunk[0].in_channels == 3
    assert new.centre_view and new.trunk[0].in_channels == 4
