"""A dask.distributed client for the study (``nvscope study --scheduler``): to a running scheduler, or to a
``LocalCluster`` started here (``local:N``). dask is imported only when asked for, so ``nvscope --help``
stays light.

Workers of a cluster the user runs are best started with one thread each (``dask worker ADDRESS --nworkers N
--nthreads 1``): a worker process analyses one session at a time anyway (``app.core.study_tasks``). For a
shared numba compile cache, give every worker the same ``NUMBA_CACHE_DIR`` in its environment (or pass
``--numba-cache-dir``, which a fresh worker applies before it first imports numba).
"""

import contextlib
import os

from app.core.study_runner import LOCAL_SCHEDULER_PREFIX, StudyRunnerError


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise StudyRunnerError(f"--scheduler needs dask.distributed ({exc}); install it with "
                               "`pip install \"dask[distributed]\"`, or use --jobs N.") from exc
    return distributed


def local_workers(scheduler):
    """N of ``local:N``, or None for the address of a running scheduler."""
    if not scheduler.startswith(LOCAL_SCHEDULER_PREFIX):
        return None
    text = scheduler[len(LOCAL_SCHEDULER_PREFIX):]
    if not text.isdigit() or int(text) < 1:
        raise StudyRunnerError(f"--scheduler {scheduler!r}: write local:N with N >= 1 workers (e.g. local:2), or "
                               "the address of a running scheduler (e.g. tcp://host:8786).")
    return int(text)


def threads_per_task(client):
    """Cores per worker process: on each host, its cores // its worker processes; the smallest over hosts."""
    cores = client.run(_cores_here)  # {worker address: cores}
    workers = client.scheduler_info(n_workers=-1)["workers"]
    if not workers:
        raise StudyRunnerError("the dask scheduler has no workers; start some (`dask worker ADDRESS --nthreads 1`).")
    per_host = {}
    for address, info in workers.items():
        per_host.setdefault(info.get("host", address), []).append(cores.get(address, 1))
    return max(1, min(min(c) // len(c) for c in per_host.values()))


def _cores_here():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(scheduler):
    """Yields (client, threads per task, description in words); closes what it opened."""
    distributed = _import_distributed()
    n_local = local_workers(scheduler)
    with contextlib.ExitStack() as stack:
        if n_local is not None:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_local, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=40))  # logging.ERROR: worker start-up chatter stays off the console
            client = stack.enter_context(distributed.Client(cluster))
            where = f"a local dask cluster of {n_local} worker processes"
        else:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout="20s"))
            except OSError as exc:
                raise StudyRunnerError(f"cannot reach the dask scheduler at {scheduler!r} ({exc}); start it "
                                       "(`dask scheduler`) or check the address.") from exc
            where = f"the dask scheduler at {scheduler}"
        threads = threads_per_task(client)
        n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        yield client, threads, f"{where} ({n_workers} workers, {threads} thread(s) per task)"
