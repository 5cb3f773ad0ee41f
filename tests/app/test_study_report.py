"""The study on sessions whose cell tables are known: statistics, the CLI, the HTML report and the JSON summary."""

import json
import re

import numpy as np
import pytest

from analysis.session import read_session, update_sample_metadata
from analysis.study import StudyInputError, analyse_study, load_study, needed_stages
from app.cli.main import main
from app.core.study_simulation import DEFAULT_MEAN_Z_UM
from tests.study_fakes import tiny_study, write_synthetic_cells

CELLS_PER_GROUP = 150


@pytest.fixture(scope="module")
def study_paths(tmp_path_factory):
    """Five tiny sessions, each with a table of 150 cells drawn from the paper's curve at the default distances."""
    folder = tmp_path_factory.mktemp("study")
    paths = tiny_study(folder)
    for i, path in enumerate(paths):
        write_synthetic_cells(path, CELLS_PER_GROUP, DEFAULT_MEAN_Z_UM[i] * 1e-6, seed=100 + i)
    return [str(p) for p in paths]


def test_study_recovers_the_saturation_curve_it_was_drawn_from(study_paths):
    result = analyse_study(load_study(study_paths))
    assert [s.n_cells for s in result.summaries] == [CELLS_PER_GROUP] * 5
    exp = result.field_curve.fits["exponential"]
    # the fitted values scatter by their standard errors (~3 % for B_max, ~7 % for c_half with 150 cells/group)
    assert abs(exp.b_max - 2.91e-6) < 3 * exp.b_max_err
    assert abs(exp.c_half - 116.39) < 3 * exp.c_half_err
    assert exp.b_max_err < 0.1e-6 and exp.c_half_err < 12.0
    # iron mass is proportional to the normalised field: its curve has the same half-maximum
    assert result.mass_curve.fits["exponential"].c_half == pytest.approx(exp.c_half, rel=1e-3)
    # the histogram of the 100 ug/ml group peaks near the curve's 1.31 uT (mode of a log-normal a bit lower)
    voigt = result.summaries[2].voigt
    assert voigt is not None and 1.0e-6 < voigt.peak < 1.45e-6


def test_raw_peak_field_ranks_the_samples_wrongly_the_normalised_field_does_not(study_paths):
    ranking = analyse_study(load_study(study_paths)).ranking()
    assert ranking["normalised_ranks_correctly"]
    assert not ranking["raw_peak_ranks_correctly"]
    assert [40.0, 100.0] in [list(p) for p in ranking["raw_peak_discordant_pairs"]]
    assert ranking["by_raw_peak_field"][0] == 500.0  # the closest sample looks strongest by far


@pytest.mark.slow
def test_study_command_writes_report_and_json(study_paths, tmp_path, capsys):
    report, summary_path = tmp_path / "report.html", tmp_path / "summary.json"
    assert main(["study", *study_paths, "--report", str(report), "--json", str(summary_path)]) == 0
    summary = json.loads(summary_path.read_text())
    for key in ("half_max_concentration_ug_per_ml", "half_max_concentration_err_ug_per_ml", "b_max_t",
                "b_max_err_t", "preferred_model", "delta_aic", "models_distinguishable", "headline_model",
                "per_concentration", "ranking"):
        assert key in summary
    assert summary["preferred_model"] in ("exponential", "langmuir")
    fits = summary["normalised_field_fits"]
    headline = summary["headline_model"]
    assert summary["models_distinguishable"] == (summary["delta_aic"] >= 2.0)
    assert headline == (summary["preferred_model"] if summary["models_distinguishable"] else "exponential")
    assert summary["b_max_t"] == fits[headline]["b_max"]
    assert summary["half_max_concentration_ug_per_ml"] == fits[headline]["c_half"]
    assert [g["concentration_ug_per_ml"] for g in summary["per_concentration"]] == [20, 40, 100, 200, 500]
    means = [g["mean_normalised_field_t"] for g in summary["per_concentration"]]
    assert means == sorted(means) and 2.3e-6 < means[-1] < 3.1e-6
    text = report.read_text()
    figures = re.findall(r"<figure id='(\w+)'><img [^>]*src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert [k for k, _ in figures] == ["fig2d", "fig3a", "fig3b", "fig3c", "ranking"]
    assert all(len(data) > 5000 for _, data in figures)  # real images, not empty placeholders
    assert "lower AIC" in text and "headline" in text and "raw peak field" in text
    assert "half-maximum" in capsys.readouterr().err


def test_sessions_without_concentration_or_cells_are_refused_with_a_reason(study_paths, tmp_path):
    import shutil

    copy = tmp_path / "no_conc.h5"
    shutil.copy(study_paths[0], copy)
    update_sample_metadata(str(copy), spion_concentration_ug_per_ml=None)
    with pytest.raises(StudyInputError, match="spion_concentration_ug_per_ml"):
        load_study([str(copy)])
    fresh = tiny_study(tmp_path / "fresh", cells=(1, 1, 1, 1, 1))
    with pytest.raises(StudyInputError, match="no cell table"):
        load_study([str(fresh[0])])
    assert needed_stages(read_session(fresh[0])) == ["fit", "cells"]


def test_flagged_cells_are_left_out(study_paths, tmp_path):
    import shutil

    from analysis.session import write_cells

    copy = tmp_path / "flagged.h5"
    shutil.copy(study_paths[2], copy)
    columns = read_session(copy).cells.columns
    flags = np.zeros(len(columns["z_m"]), dtype=np.int64)
    flags[:10] = 3
    write_cells(str(copy), {**columns, "flag": flags})
    (sample,) = load_study([str(copy)])
    assert sample.n_cells == CELLS_PER_GROUP - 10 and sample.flagged == 10


def test_cells_outside_the_plausible_distance_window_are_left_out(study_paths, tmp_path):
    import shutil

    from analysis.session import write_cells

    copy = tmp_path / "window.h5"
    shutil.copy(study_paths[1], copy)
    columns = read_session(copy).cells.columns
    z = np.array(columns["z_m"])
    z[:3] = 2e-6  # closer than any cell's radius: a collapsed fit
    z[3:5] = 60e-6  # background structure
    write_cells(str(copy), {**columns, "z_m": z})
    (sample,) = load_study([str(copy)])
    assert sample.outside_window == 5 and sample.n_cells == CELLS_PER_GROUP - 5
    (everything,) = load_study([str(copy)], distance_window_m=None)
    assert everything.n_cells == CELLS_PER_GROUP


def test_two_concentrations_give_a_report_without_a_saturation_fit(study_paths, tmp_path):
    summary_path, report = tmp_path / "two.json", tmp_path / "two.html"
    assert main(["study", *study_paths[:2], "--json", str(summary_path), "--report", str(report)]) == 0
    summary = json.loads(summary_path.read_text())
    assert summary["b_max_t"] is None and summary["half_max_concentration_ug_per_ml"] is None
    assert len(summary["per_concentration"]) == 2
    assert "Too few concentrations" in report.read_text()


def test_report_lists_not_usable_cells_and_the_bootstrap_sd(study_paths, tmp_path):
    import shutil

    from analysis.session import write_cells
    from app.core.study_report import report_html

    paths = [shutil.copy(p, tmp_path) for p in study_paths]
    columns = read_session(paths[0]).cells.columns
    n = len(columns["row_px"])
    usable = np.ones(n, dtype=bool)
    usable[:3] = False
    reasons = np.array(["ok"] * n, dtype=object)
    reasons[:3] = "map fitted from 9 of 101 planned steps (live map)"
    write_cells(paths[0], {**columns, "usable": usable, "usable_reason": reasons})
    result = analyse_study(load_study(paths))
    assert result.summaries[0].n_cells == CELLS_PER_GROUP - 3  # only usable cells enter the statistics
    summary = result.to_json_dict()
    text = report_html(summary, {})
    assert "Not usable cells (3)" in text and text.count("9 of 101 planned steps") == 3
    assert "3 not usable" in text
    # the study's sampling noise next to B_max, the half-maximum and each concentration's mean
    assert summary["b_max_bootstrap_sd_t"] > 0 and len(summary["mean_normalised_field_bootstrap_sd_t"]) == 5
    assert text.count("bootstrap sd") >= 2 + 5
