"""What a newcomer reads in the study's output: why the headline model may differ from the preferred one,
sessions in concentration order, and a one-concentration study saying that (and why) it has no saturation fit."""

import json

import pytest

from analysis.study import analyse_study, load_study
from app.cli.main import main
from tests.app.test_study_report_headless import sessions  # noqa: F401 - the fixture


@pytest.fixture(scope="module")
def study_paths(sessions):  # noqa: F811 - the imported fixture
    return sessions  # five tiny sessions of 40 synthetic cells each (test_study_report_headless)


def test_the_json_says_why_the_headline_model_is_the_one_reported(study_paths):
    summary = analyse_study(load_study(sorted(study_paths))).to_json_dict()  # file-name order: 100, 20, 200, ...
    reason = summary["model_choice_reason"]
    assert summary["headline_model"] in reason and summary["preferred_model"] in reason
    assert f"{summary['delta_aic']:.2f}" in reason and summary["saturation_fit_skipped"] is None
    concentrations = [s["concentration_ug_per_ml"] for s in summary["sessions"]]
    assert concentrations == sorted(concentrations) and len(concentrations) == 5  # numeric, not by name


def test_a_one_concentration_study_says_the_saturation_fit_was_skipped_and_why(study_paths, tmp_path, capsys):
    out = tmp_path / "one.json"
    assert main(["study", study_paths[0], "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "saturation fit skipped: the saturation fit needs at least 3 concentrations" in err
    assert "this study has 1 of 1" in err
    summary = json.loads(out.read_text())
    assert summary["saturation_fit_skipped"].startswith("the saturation fit needs") and summary["b_max_t"] is None
