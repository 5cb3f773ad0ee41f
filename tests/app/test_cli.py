import subprocess
import sys

from app.cli import build_parser, main


def test_help_lists_the_sub_commands():
    text = build_parser().format_help()
    for name in ("gui", "acquire", "fit", "analyze", "simulate-study", "study"):
        assert name in text


def test_console_help_runs_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "acquire" in out.stdout


def test_analyze_measures_the_cells_of_a_session(tmp_path, capsys):
    import numpy as np

    from analysis.session import read_session

    out = tmp_path / "s.h5"
    assert main(["acquire", "--mock", "--out", str(out), "--pairs", "4", "--size", "64", "64", "--cells", "1",
                 "--seed", "5", "--concentration", "500", "--z-um", "9", "11"]) == 0
    assert main(["analyze", str(out)]) == 0  # fits first: the session has no field map yet
    assert "1 cells" in capsys.readouterr().err
    session = read_session(out)
    cell = session.cells.records()[0]
    truth = session.truth["cells"][0]
    pixel = session.sample_metadata["pixel_size_m"]
    assert np.hypot(cell["col_px"] - truth["x_m"] / pixel, cell["row_px"] - truth["y_m"] / pixel) < 2.0
    assert abs(cell["iron_mass_g"] * 1e-3 - truth["iron_mass_kg"]) < 0.3 * truth["iron_mass_kg"]
    assert cell["model_sha256"] in session.models
    maps = session.cells.snippets  # what the cell was analysed on, its reconstruction and residual
    assert {name: m.shape for name, m in maps.items()} == {n: (1, 32, 32) for n in ("measured_t", "model_t",
                                                                                    "residual_t")}
    np.testing.assert_allclose(maps["measured_t"] - maps["model_t"], maps["residual_t"], atol=1e-11)  # float32
