"""``nvscope fit``: fit maps, background and field maps land in the session and agree with the simulated truth."""

import numpy as np

from analysis.session import read_session
from app.cli.main import main


def test_fit_writes_field_maps_that_match_the_truth(tmp_path, capsys):
    out = tmp_path / "s.h5"
    assert main(["acquire", "--mock", "--out", str(out), "--pairs", "4", "--size", "48", "48", "--cells", "1",
                 "--seed", "5", "--concentration", "500", "--z-um", "8", "10", "--live-fit-every", "25"]) == 0
    assert main(["fit", str(out)]) == 0
    assert "100.00 % of pixels converged" in capsys.readouterr().err
    session = read_session(out)
    b_fit = session.field_map["b_nv_t"]
    b_err = session.field_map["b_nv_err_t"]
    pull = (b_fit - session.truth["b_nv_t"]) / b_err
    assert 0.7 < np.sqrt(np.mean(pull**2)) < 1.4  # the fit's errors describe its scatter
    # background-subtracted map vs the cells' true field (up to a constant: the background fit absorbs the mean)
    residual = session.field_map["b_nv_residual_t"]
    diff = residual - session.truth["cell_field_t"]
    diff -= np.median(diff)
    noise = np.median(b_err)
    assert np.sqrt(np.mean(diff**2)) < 2.0 * noise
    assert np.abs(session.truth["cell_field_t"]).max() > 10 * noise  # the cell stands out of the noise
    assert session.fit.settings["model"] == "15N" and session.background is not None
