"""The study's per-session work spread over processes (app/core/study_runner.py): the same numbers in this
process, in 2 local processes and on a 2-worker dask LocalCluster; a damaged session is left out with its
reason; --force and a changed CNN re-analyse."""

import json
import os
import shutil

import numpy as np
import pytest

from analysis.session import read_session, write_cells
from analysis.study import analyse_study
from app.cli.main import main
from app.core.study_dask import local_workers
from app.core.study_runner import StudyRunnerError, run_study_sessions
from app.core.study_simulation import default_samples, simulate_study
from app.core.study_tasks import current_model_sha256

OTHER_MODEL = "ab" * 32


@pytest.fixture(scope="module")
def raw_study(tmp_path_factory):
    """Three small unanalysed sessions (64 x 64, 21 steps, one cell each) and a damaged file."""
    folder = tmp_path_factory.mktemp("raw")
    samples = default_samples(seed=4, concentrations=[20.0, 100.0, 500.0], cells=[1, 1, 1], mean_z_um=[10.0] * 3)
    paths = simulate_study(str(folder), samples, size=(64, 64), pairs=50, n_points=21)
    damaged = folder / "damaged.h5"
    damaged.write_bytes(b"not an HDF5 file: a copy that stopped half way")
    return [*paths, str(damaged)]


def _copy(paths, folder):
    folder.mkdir()
    return [shutil.copy(p, folder) for p in paths]


@pytest.fixture(scope="module")
def analysed(raw_study, tmp_path_factory):
    """The study run once in this process: (paths, StudyRun)."""
    paths = _copy(raw_study, tmp_path_factory.mktemp("one") / "s")
    return paths, run_study_sessions(paths, jobs=1)


def _numbers(run):
    """Everything the study computes from the runs' cells, without the file names."""
    summary = analyse_study(run.samples).to_json_dict()
    for s in summary["sessions"]:
        s.pop("path")
    return json.dumps(summary, sort_keys=True)


def test_a_damaged_session_is_left_out_with_its_reason(analysed):
    paths, run = analysed
    assert [s.path for s in run.samples] == paths[:3]  # the others complete, in the order given
    ((path, reason),) = run.failures
    assert path == paths[3] and "\n" not in reason and "damaged.h5" in reason
    assert set(run.stage_seconds) == {"fit", "cells"} and run.notes == []
    assert all(s.n_cells_in_table >= 1 for s in run.samples)


@pytest.fixture
def cluster_address():
    """A dask cluster the study only connects to, as to a user's: 2 single-threaded worker processes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
@pytest.mark.parametrize("way", ["jobs 2", "scheduler address"])
def test_processes_and_a_dask_cluster_give_the_same_numbers(raw_study, analysed, tmp_path, way, request):
    _, reference = analysed
    paths = _copy(raw_study, tmp_path / "s")
    how = {"jobs": 2} if way == "jobs 2" else {"scheduler": request.getfixturevalue("cluster_address")}
    run = run_study_sessions(paths, **how)
    assert "2 " in run.workers and [p for p, _ in run.failures] == [paths[3]]
    assert run.numba_threads == [max(1, len(os.sched_getaffinity(0)) // 2)]  # each worker: cores // 2 workers
    assert [s.path for s in run.samples] == paths[:3]
    for mine, theirs in zip(run.samples, reference.samples, strict=True):
        assert mine.n_cells_in_table == theirs.n_cells_in_table
        for name, values in theirs.values.items():  # bit for bit: the same code on the same inputs
            np.testing.assert_array_equal(mine.values[name], values)
        np.testing.assert_array_equal(mine.field_map_t, theirs.field_map_t)
    assert _numbers(run) == _numbers(reference)


def test_complete_sessions_are_only_read_and_force_reanalyses(analysed, tmp_path):
    paths = _copy(analysed[0][:1], tmp_path / "s")
    run = run_study_sessions(paths)
    assert run.stage_seconds == {} and run.notes == [] and len(run.samples) == 1
    forced = run_study_sessions(paths, force=True, use_cnn=False)
    assert set(forced.stage_seconds) == {"fit", "cells"} and "--force" in forced.notes[0][1]


def test_cells_from_another_model_are_reanalysed_without_being_asked(analysed, tmp_path):
    current = current_model_sha256()
    if current is None:
        pytest.skip("the committed CNN is not installed")
    (path,) = _copy(analysed[0][:1], tmp_path / "s")
    columns = dict(read_session(path).cells.columns)
    columns["model_sha256"] = np.array([OTHER_MODEL] * len(columns["model_sha256"]), dtype=object)
    write_cells(path, columns, models={OTHER_MODEL: {"name": "an older network"}})
    run = run_study_sessions([path])
    ((where, note),) = run.notes
    assert where == path and OTHER_MODEL[:12] in note and current[:12] in note
    assert set(run.stage_seconds) == {"cells"}  # the fit stays
    assert read_session(path).cells.model_hashes() == [current]
    assert run_study_sessions([path]).notes == []  # now up to date


@pytest.mark.slow
def test_study_command_on_a_local_cluster_lists_the_failed_session_and_exits_1(analysed, tmp_path, capsys):
    summary_path, report = tmp_path / "summary.json", tmp_path / "report.html"
    assert main(["study", *analysed[0], "--scheduler", "local:2", "--json", str(summary_path), "--report",
                 str(report)]) == 1
    summary = json.loads(summary_path.read_text())
    (failed,) = summary["failed_sessions"]
    assert failed["path"] == analysed[0][3] and failed["reason"] in capsys.readouterr().err
    assert "local dask cluster of 2 worker processes" in summary["pipeline_workers"]
    assert summary["n_sessions"] == 3 and summary["pipeline_timings_s"] == {}  # analysed already: only read
    assert "1 session(s) left out" in report.read_text()


def test_ways_to_run_that_cannot_work_are_refused(analysed):
    with pytest.raises(StudyRunnerError, match="local:N"):
        local_workers("local:zero")
    assert local_workers("local:3") == 3 and local_workers("tcp://host:8786") is None
    with pytest.raises(StudyRunnerError, match="--jobs 0"):
        run_study_sessions(analysed[0], jobs=0)
    with pytest.raises(StudyRunnerError, match="given twice"):
        run_study_sessions([analysed[0][0], os.path.join(os.path.dirname(analysed[0][0]), ".", "spion_20ugml.h5")])
    with pytest.raises(SystemExit):
        main(["study", *analysed[0], "--jobs", "2", "--scheduler", "local:2"])


def test_a_given_numba_cache_is_cleaned_of_kernels_compiled_from_older_sources(tmp_path):
    from analysis.numba_cache import ROOT

    cache = tmp_path / "cache"
    stale = cache / str((ROOT / "analysis").resolve()).lstrip("/") / "fit.f-1.py311.nbi"  # where numba mirrors it
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"compiled from other sources")
    run = run_study_sessions([str(tmp_path / "missing.h5")], numba_cache_dir=str(cache))
    assert not stale.exists()  # the workers compile (or load) kernels of these sources
    assert [p for p, _ in run.failures] == [str(tmp_path / "missing.h5")]
