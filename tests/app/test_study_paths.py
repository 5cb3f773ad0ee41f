"""A study given an adaptive measurement's two files (``study/*.h5`` gives both) counts its cells once."""

import json
import shutil

from app.cli.main import main
from app.core.study_paths import without_first_passes
from tests.app.test_study_report_headless import sessions  # noqa: F401 - the fixture


def test_first_passes_of_given_adaptive_passes_are_left_out_in_order(tmp_path):
    paths = [str(tmp_path / n) for n in ("a.pass1.h5", "a.h5", "b.pass1.h5", "c.hdf5", "c.pass1.h5")]
    kept, skipped = without_first_passes(paths)
    assert kept == [paths[1], paths[2], paths[3]]  # b's first pass came alone: the only record of b
    assert [p for p, _ in skipped] == [paths[0], paths[4]]
    assert paths[1] in skipped[0][1] and "analysed with it" in skipped[0][1]


def test_a_first_pass_beside_its_adaptive_pass_is_not_a_second_session(sessions, tmp_path, capsys):  # noqa: F811
    adaptive = tmp_path / "s.h5"
    shutil.copy(sessions[0], adaptive)
    shutil.copy(sessions[0], tmp_path / "s.pass1.h5")  # same cells: counted twice if taken as a session
    out_one, out_both = tmp_path / "one.json", tmp_path / "both.json"
    assert main(["study", str(adaptive), "--json", str(out_one)]) == 0
    capsys.readouterr()
    assert main(["study", str(tmp_path / "s.pass1.h5"), str(adaptive), "--json", str(out_both)]) == 0
    err = capsys.readouterr().err
    assert "s.pass1.h5: not a session of its own: the first pass of the adaptive measurement" in err
    one, both = json.loads(out_one.read_text()), json.loads(out_both.read_text())
    assert len(both["sessions"]) == 1
    assert both["per_concentration"][0]["n_cells"] == one["per_concentration"][0]["n_cells"] > 0
