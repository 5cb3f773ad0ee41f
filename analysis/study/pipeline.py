"""Bring one session up to what the study needs: fit -> field map -> cell table, doing only what is missing.

Stages (each skipped when the session already holds its result):
1. ``analysis.pipeline.fit_session_file``: per-pixel ODMR fit, B_NV, robust background, field maps;
2. ``analysis.session_cells.analyse_session_cells``: dipole detection, CNN, physics refinement, normalised
   field (``analysis.cells.analyze_field_map``), written as the session's cell table (with the model card).
"""

import time

from analysis.session import read_session

STAGES = ("fit", "cells")


def needed_stages(session):
    """The stages a ``Session`` still lacks, in order."""
    stages = []
    if session.field_map is None or "b_nv_residual_t" not in session.field_map:
        stages.append("fit")
    if session.cells is None:
        stages.append("cells")
    return stages


def needed_stages_of_file(path):
    """``needed_stages`` of a session file without reading its frame sums (opens only the analysis groups)."""
    from analysis.session import SessionError
    from analysis.session.schema import CELLS, FIELD_MAP
    from analysis.session.tree import H5_ERRORS, open_h5

    try:  # the safe opener: a damaged file fails within seconds, never hangs (docs/safety.md)
        with open_h5(path, "r") as f:
            stages = [] if f"{FIELD_MAP}/b_nv_residual_t" in f else ["fit"]
            return stages + ([] if CELLS in f else ["cells"])
    except (SessionError, *H5_ERRORS):  # being written, damaged, ...: the full reader says what is wrong or copes
        return needed_stages(read_session(path))


def stored_cell_model_hashes(path):
    """The distinct non-empty ``model_sha256`` values of a session file's cell table (the networks its cells
    came from), read without the rest of the file; [] without a cell table or without CNN cells."""

    from analysis.session.cells import MODEL_HASH_COLUMN
    from analysis.session.schema import CELLS
    from analysis.session.tree import open_h5

    with open_h5(path, "r") as f:
        where = f"{CELLS}/{MODEL_HASH_COLUMN}"
        if where not in f:
            return []
        return sorted({h for h in f[where].asstr()[()] if h})


def analyse_session(path, on_stage=None, use_cnn=True, stages=None, cnn_threads=None):
    """Run the missing stages on one session file. ``on_stage(name, seconds)`` is called after each stage;
    ``use_cnn=False`` refines new cell tables by physics alone (flag NO_CNN); ``stages``: run these (from
    ``STAGES``, in that order) instead of the missing ones, e.g. to re-analyse; ``cnn_threads``: onnxruntime's
    intra-op threads (None: the CNN's default).

    Returns {stage: seconds} of what was run (empty when the session was complete)."""
    from analysis.pipeline import fit_session_file
    from analysis.session.maps_reader import with_results
    from analysis.session_cells import analyse_session_cells

    timings = {}
    if stages is None:
        stages = needed_stages_of_file(path)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown study stage(s) {unknown}; the stages are {', '.join(STAGES)}.")
    stages = [s for s in STAGES if s in stages]
    session = read_session(path) if stages else None
    for stage in stages:
        t0 = time.perf_counter()
        if stage == "fit":
            fit_session_file(path, session=session)
            session = with_results(session)  # the maps just written; the sums are not read again
        else:
            analyse_session_cells(path, session, use_cnn, cnn_threads)
        timings[stage] = time.perf_counter() - t0
        if on_stage is not None:
            on_stage(stage, timings[stage])
    return timings
