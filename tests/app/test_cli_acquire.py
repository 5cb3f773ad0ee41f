"""``nvscope acquire --mock``: a whole sweep on the virtual microscope into a session file."""

import numpy as np

from analysis.session import read_session
from app.cli.main import main


def test_acquire_mock_writes_a_finished_session_with_truth(tmp_path, capsys):
    out = tmp_path / "s.h5"
    code = main(["acquire", "--mock", "--out", str(out), "--pairs", "2", "--size", "32", "32", "--cells", "1",
                 "--seed", "3", "--concentration", "200", "--name", "HeLa 200", "--window-ghz", "2.026", "2.033", "15"])
    assert code == 0
    assert "finished" in capsys.readouterr().err
    session = read_session(out)
    assert session.status == "finished" and session.step_done.all()
    assert session.n_pairs.tolist() == [2] * 15
    assert session.sample_metadata["spion_concentration_ug_per_ml"] == 200.0
    assert session.sample_metadata["name"] == "HeLa 200"
    assert session.truth["b_nv_t"].shape == (32, 32) and len(session.truth["cells"]) == 1
    np.testing.assert_allclose(session.freq_hz[[0, -1]], [2.026e9, 2.033e9])
    # a second run refuses to replace the measurement, and says so before touching any instrument
    before = out.read_bytes()
    assert main(["acquire", "--mock", "--out", str(out), "--pairs", "1", "--size", "32", "32", "--cells", "0"]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before


def test_acquire_refuses_a_plan_outside_the_limits(tmp_path, capsys):
    assert main(["acquire", "--mock", "--out", str(tmp_path / "x.h5"), "--power-dbm", "25"]) == 2
    assert "RF power: 25 dBm is above the configured limit of 10 dBm" in capsys.readouterr().err  # the form's words
    assert not (tmp_path / "x.h5").exists()
