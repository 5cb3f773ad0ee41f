"""One session of the labelling study as a task: a path in, plain data out (``app.core.study_runner`` sends
it to this process, to local worker processes or to dask.distributed workers).

The task does what ``nvscope study`` does for each session: run the stages the session lacks (ODMR fit and
field map, then the cell table; ``analysis.study.analyse_session``), re-run them when asked (``force``) or
when the cells came from another network than the current ONNX file (their stored ``model_sha256``), then
read the cells the study counts (``analysis.study.session_cells``). It returns a dict of numbers, text and
small 1-D arrays; the field map stays in the file (the report reads the one it draws).

Any error of one session (damaged file, no concentration, a failed fit) becomes that session's one-line
reason, so that the other sessions complete.

Threads: a worker gets its share of the cores (``threads``) for numba's parallel loops (``numba.set_num_threads``;
also ``NUMBA_NUM_THREADS`` when numba is not imported yet in the process) and for onnxruntime's intra-op pool.
Tasks in one process run one at a time (a lock): numba's default "workqueue" threading layer cannot run two
parallel regions at once, so a dask worker started with several threads still analyses one session at a time.
"""

import os
import sys
import threading

_ONE_AT_A_TIME = threading.Lock()


def use_numba_cache_dir(numba_cache_dir):
    """The compile cache of this process, if numba is not imported yet (the same ``NUMBA_CACHE_DIR`` for
    every worker, so that what one compiles the others load)."""
    if numba_cache_dir and "numba" not in sys.modules:
        os.environ["NUMBA_CACHE_DIR"] = os.fspath(numba_cache_dir)


def configure_worker_process(threads, numba_cache_dir=None):
    """Before numba is imported in a fresh worker process: its thread pool size (``threads``, or less where
    the environment asks for less) and its compile cache."""
    if "numba" not in sys.modules:
        asked = os.environ.get("NUMBA_NUM_THREADS", "")
        cap = min(int(threads), int(asked)) if asked.isdigit() and int(asked) > 0 else int(threads)
        os.environ["NUMBA_NUM_THREADS"] = str(max(1, cap))
    use_numba_cache_dir(numba_cache_dir)


def _cap_numba_threads(threads):
    """numba's threads for this thread's parallel loops; returns the number set."""
    import numba

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    return numba.get_num_threads()


def one_line(exc):
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else '(no message)'}"


def current_model_sha256():
    """SHA-256 of the committed ONNX cell model, or None when the file is missing (cells are then refined by
    physics alone and no table counts as coming from another model)."""
    from analysis.cells.cnn import default_model_path, file_sha256

    path = default_model_path()
    return file_sha256(path) if path.is_file() else None


def stages_to_run(path, force=False, use_cnn=True, model_sha256=None):
    """(stages, note): the stages this session needs, and why a complete one is re-analysed ('' if not)."""
    from analysis.study import STAGES, needed_stages_of_file, stored_cell_model_hashes

    if force:
        return list(STAGES), "re-analysed (--force)"
    stages = needed_stages_of_file(path)
    if "cells" in stages or not (use_cnn and model_sha256):
        return stages, ""
    other = [h for h in stored_cell_model_hashes(path) if h != model_sha256]
    if not other:
        return stages, ""
    return stages + ["cells"], (f"cells came from model {other[0][:12]}..., the current model is "
                                f"{model_sha256[:12]}...: cells re-analysed")


def cells_as_plain_data(cells):
    """A ``SessionCells`` as a dict of numbers, text and 1-D arrays, without the field map."""
    return {"path": cells.path, "name": cells.name, "concentration_ug_per_ml": float(cells.concentration_ug_per_ml),
            "pixel_size_m": float(cells.pixel_size_m), "values": dict(cells.values),
            "n_cells_in_table": int(cells.n_cells_in_table), "flagged": int(cells.flagged),
            "outside_window": int(cells.outside_window), "cell_rows_px": cells.cell_rows_px,
            "cell_cols_px": cells.cell_cols_px}


def study_session_task(path, options):
    """The study's work on one session file (see the module docstring). options: a dict with ``force``,
    ``use_cnn``, ``model_sha256`` (current network, or None), ``threads``, ``distance_window_m`` ((min, max) in
    m, or None), ``numba_cache_dir`` (or None) and ``worker_process`` (False: this is the user's process, whose
    numba settings stay as they are).

    Returns {"path", "ok", "reason", "note", "stages_s": {stage: seconds}, "cells": plain data or None,
    "numba_threads": the threads numba's loops had}."""
    result = {"path": path, "ok": False, "reason": "", "note": "", "stages_s": {}, "cells": None,
              "numba_threads": None}
    with _ONE_AT_A_TIME:
        try:
            if options.get("worker_process"):
                configure_worker_process(options["threads"], options.get("numba_cache_dir"))
            result["numba_threads"] = _cap_numba_threads(options["threads"])
            result.update(_analyse(path, options))
            result["ok"] = True
        # any failure of this one session (damaged file, bad metadata, a fit that raises) is its reason in
        # the report; the study goes on with the other sessions
        except Exception as exc:  # noqa: BLE001
            result["reason"] = one_line(exc)
    return result


def _analyse(path, options):
    from analysis.session import read_session
    from analysis.study import analyse_session, session_cells

    stages, note = stages_to_run(path, options["force"], options["use_cnn"], options.get("model_sha256"))
    timings = analyse_session(path, use_cnn=options["use_cnn"], stages=stages, cnn_threads=options["threads"])
    window = options.get("distance_window_m")
    cells = session_cells(read_session(path), None if window is None else tuple(window))
    return {"note": note, "stages_s": timings, "cells": cells_as_plain_data(cells)}
