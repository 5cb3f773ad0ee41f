"""Run the labelling study's per-session work (``app.core.study_tasks``) in this process, in N local worker
processes, or on a dask.distributed cluster; gather the results in the order the sessions were given.

- ``jobs=1``: one after another in this process (all cores for numba and onnxruntime);
- ``jobs=N``: N worker processes (``concurrent.futures``, started by "spawn": a fresh interpreter, so numba's
  thread pool is sized for the worker before it starts), each with cores // N threads;
- ``scheduler="tcp://host:8786"``: a dask.distributed ``Client`` to a running scheduler; the session paths must
  be readable under the same absolute path on every worker (a shared file system). Each task gets
  cores // worker processes of its host (the smallest share over the hosts);
- ``scheduler="local:N"``: a ``LocalCluster`` of N single-threaded worker processes on this machine.

One task per session: it takes the path and returns plain data (numbers, text, small 1-D arrays). A session
whose task fails is listed with its one-line reason; the others complete. The results do not depend on how
the work is spread (the per-session work is the same code with the same inputs; tests/app/test_study_runner.py
checks jobs 1, jobs 2 and a 2-worker LocalCluster against each other).
"""

import os
import time
import uuid
from dataclasses import dataclass, field

from app.core.study_tasks import (
    configure_worker_process,
    current_model_sha256,
    one_line,
    study_session_task,
    use_numba_cache_dir,
)

LOCAL_SCHEDULER_PREFIX = "local:"


class StudyRunnerError(ValueError):
    """The way to run the study was given wrongly (jobs, scheduler address)."""


@dataclass
class StudyRun:
    """What the runner gathered: the good sessions' cells (``SessionCells``, in the order given), the sessions
    that failed with their reasons, the re-analysis notes, and the time spent per stage (summed over workers)."""

    samples: list
    failures: list = field(default_factory=list)
    """(path, one-line reason) of every session that could not take part."""
    notes: list = field(default_factory=list)
    """(path, why it was re-analysed) of every session re-analysed without missing anything."""
    stage_seconds: dict = field(default_factory=dict)
    wall_s: float = 0.0
    workers: str = ""
    """How the work was spread, in words (for the console and the summary)."""
    numba_threads: list = field(default_factory=list)
    """The distinct numbers of threads numba's loops had in the tasks."""


def usable_cores():
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def task_options(threads, force=False, use_cnn=True, distance_window_m=None, numba_cache_dir=None,
                 model_sha256=None, worker_process=True):
    """The plain dict every task gets (see ``study_session_task``)."""
    return {"threads": max(1, int(threads)), "force": bool(force), "use_cnn": bool(use_cnn),
            "distance_window_m": None if distance_window_m is None else [float(v) for v in distance_window_m],
            "numba_cache_dir": numba_cache_dir, "model_sha256": model_sha256, "worker_process": bool(worker_process)}


def run_study_sessions(paths, jobs=1, scheduler=None, force=False, use_cnn=True, distance_window_m=None,
                       numba_cache_dir=None, on_result=None):
    """Analyse every session as needed and read its cells; returns a ``StudyRun``.

    on_result(done, total, result) is called in this process as each session finishes (``result``: the task's
    dict), e.g. for a progress bar. numba_cache_dir: the compile cache every worker uses (default: the
    ``NUMBA_CACHE_DIR`` of this process, else numba's default beside the code)."""
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise StudyRunnerError("no session files given; pass the sessions of the study (e.g. study/*.h5).")
    if int(jobs) < 1:
        raise StudyRunnerError(f"--jobs {jobs}: give 1 or more worker processes.")
    seen = {}
    for path in paths:  # twice would count its cells twice, and two workers would write one file at once
        real = os.path.realpath(path)
        if real in seen:
            raise StudyRunnerError(f"{path} is given twice (also as {seen[real]}); give each session once.")
        seen[real] = path
    if distance_window_m is not None and not (0 <= distance_window_m[0] < distance_window_m[1]):
        raise StudyRunnerError(f"distance window {tuple(distance_window_m)} m: give (min, max) with 0 <= min < max.")
    numba_cache_dir = numba_cache_dir or os.environ.get("NUMBA_CACHE_DIR")
    if numba_cache_dir and os.path.isdir(numba_cache_dir):  # kernels compiled from older sources: gone first
        from analysis.numba_cache import remove_stale_kernels

        remove_stale_kernels(cache_dir=numba_cache_dir)
    use_numba_cache_dir(numba_cache_dir)  # this process too, before the model check imports numba
    model = current_model_sha256() if use_cnn else None

    def options(threads, worker_process=True):
        return task_options(threads, force, use_cnn, distance_window_m, numba_cache_dir, model, worker_process)

    t0 = time.perf_counter()
    if scheduler:
        results, workers = _on_dask(paths, scheduler, options, on_result)
    elif int(jobs) > 1:
        results, workers = _on_processes(paths, int(jobs), options, on_result)
    else:
        results, workers = _in_this_process(paths, options, on_result)
    run = gather(paths, results)
    run.wall_s = time.perf_counter() - t0
    run.workers = workers
    return run


def study_result(run):
    """``analysis.study.analyse_study`` of the sessions of ``run`` that took part; StudyInputError, with each
    session's reason, when none could."""
    from analysis.study import StudyInputError, analyse_study

    if not run.samples:
        reasons = "; ".join(f"{path}: {reason.rstrip('.')}" for path, reason in run.failures)
        raise StudyInputError(f"no session could take part in the study ({len(run.failures)} failed: {reasons}).")
    return analyse_study(run.samples)


def gather(paths, results):
    """A ``StudyRun`` from the tasks' dicts (one per path, in the order of ``paths``)."""
    from analysis.study import SessionCells

    run = StudyRun(samples=[])
    for path, result in zip(paths, results, strict=True):
        for stage, seconds in result["stages_s"].items():
            run.stage_seconds[stage] = run.stage_seconds.get(stage, 0.0) + seconds
        if result["note"]:
            run.notes.append((path, result["note"]))
        if result.get("numba_threads") and result["numba_threads"] not in run.numba_threads:
            run.numba_threads.append(result["numba_threads"])
        if not result["ok"]:
            run.failures.append((path, result["reason"]))
            continue
        cells = dict(result["cells"], path=path)  # as the user gave it (a scheduler's tasks get absolute paths)
        run.samples.append(SessionCells(**cells, field_map_t=read_field_map_t(path)))
    return run


def read_field_map_t(path):
    """The background-subtracted B_NV map of a session file (for the report's figure), or None."""
    from analysis.session import SessionError
    from analysis.session.schema import FIELD_MAP
    from analysis.session.tree import H5_ERRORS, open_h5

    try:
        with open_h5(path, "r") as f:
            where = f"{FIELD_MAP}/b_nv_residual_t"
            return f[where][()] if where in f else None
    except (SessionError, *H5_ERRORS):  # the figure shows another session's map; the numbers do not need it
        return None


def _in_this_process(paths, options, on_result):
    opts = options(usable_cores(), worker_process=False)
    results = []
    for path in paths:
        results.append(study_session_task(path, opts))
        if on_result is not None:
            on_result(len(results), len(paths), results[-1])
    return results, "1 process (this one)"


def _on_processes(paths, jobs, options, on_result):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, usable_cores() // jobs)
    opts = options(threads)
    results = [None] * len(paths)
    # spawn: a fresh interpreter per worker, whose numba pool is sized before numba starts (and no fork of
    # this process's threads)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=configure_worker_process,
                             initargs=(threads, opts["numba_cache_dir"])) as pool:
        futures = {pool.submit(study_session_task, path, opts): i for i, path in enumerate(paths)}
        for done, future in enumerate(as_completed(futures), 1):
            i = futures[future]
            results[i] = _result_of(future, paths[i])
            if on_result is not None:
                on_result(done, len(paths), results[i])
    return results, f"{jobs} local processes, {threads} thread(s) each"


def _result_of(future, path):
    """The task's dict (with the path as the user gave it), or a failure when the worker itself died (killed,
    out of memory)."""
    try:
        return {**future.result(), "path": path}
    except Exception as exc:  # noqa: BLE001 - a lost worker fails its session, not the study
        return {"path": path, "ok": False, "reason": f"worker failed: {one_line(exc)}", "note": "",
                "stages_s": {}, "cells": None}


def _on_dask(paths, scheduler, options, on_result):
    from app.core.study_dask import dask_client

    with dask_client(scheduler) as (client, threads, description):
        from distributed import as_completed

        opts = options(threads)
        run_id = uuid.uuid4().hex[:8]  # keys unique on a scheduler that others use too
        futures = [client.submit(study_session_task, os.path.abspath(path), opts, key=f"nvscope-study-{run_id}-{i}")
                   for i, path in enumerate(paths)]
        index = {future.key: i for i, future in enumerate(futures)}
        results = [None] * len(paths)
        for done, future in enumerate(as_completed(futures), 1):
            i = index[future.key]
            results[i] = _result_of(future, paths[i])
            if on_result is not None:
                on_result(done, len(paths), results[i])
    return results, description
