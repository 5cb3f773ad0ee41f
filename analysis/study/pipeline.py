"""Bring one session up to what the study needs: fit -> field map -> cell table, doing only what is missing.

Stages (each skipped when the session already holds its result):
1. ``analysis.pipeline.fit_session_file``: per-pixel ODMR fit, B_NV, robust background, field maps;
2. ``analysis.cells.analyze_field_map``: dipole detection, CNN, physics refinement, normalised field, written as
   the session's cell table (with the model card of the network).
"""

import dataclasses
import time

import numpy as np

from analysis.session import read_session, write_cells

from .samples import StudyInputError

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
    import h5py

    from analysis.session.schema import CELLS, FIELD_MAP, LOCKING

    try:
        with h5py.File(path, "r", locking=LOCKING) as f:
            stages = [] if f"{FIELD_MAP}/b_nv_residual_t" in f else ["fit"]
            return stages + ([] if CELLS in f else ["cells"])
    except OSError:  # being written, damaged, ...: the full reader says what is wrong or copes (SWMR)
        return needed_stages(read_session(path))


def _cell_records(results):
    records = []
    for r in results:
        record = dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r)
        records.append({k: v for k, v in record.items() if np.ndim(v) == 0})
    return records


def detect_cells(path, session=None):
    """Run the cell analysis on a session's background-subtracted field map and store the cell table."""
    try:
        from analysis.cells import analyze_field_map
    except ImportError as exc:
        raise StudyInputError(f"{path} has no cell table and the cell analysis (analysis.cells.analyze_field_map) "
                              f"is not available in this nvscope ({exc}); analyse the session's cells first.") from exc
    from analysis.pipeline import session_pixel_size_m

    session = session or read_session(path)
    field_map = session.field_map
    noise = (session.background.settings or {}).get("noise_t") if session.background is not None else None
    results = analyze_field_map(np.asarray(field_map["b_nv_residual_t"]), session_pixel_size_m(session),
                                noise_t=noise)
    records = _cell_records(results)
    models = _model_cards(results)
    write_cells(path, records, models=models or None,
                settings={"source": "analysis.cells.analyze_field_map", "n_cells": len(records)})
    return len(records)


def _model_cards(results):
    """sha256 -> model card of the networks named by the results (when the results carry them)."""
    cards = {}
    for r in results:
        sha = getattr(r, "model_sha256", "") or ""
        card = getattr(r, "model_card", None)
        if sha and card is not None:
            cards[sha] = card
    if not cards and any(getattr(r, "model_sha256", "") for r in results):
        try:
            from analysis.cells import CellCNN

            cnn = CellCNN()
            identity = cnn.identity
            if isinstance(identity, dict) and identity.get("sha256"):
                cards[identity["sha256"]] = identity.get("card", identity)
        except Exception as exc:  # the card is documentation; a missing one must not lose the cell table
            cards = {}
            print(f"warning: model card unavailable ({exc})")
    return cards


def analyse_session(path, on_stage=None):
    """Run the missing stages on one session file. ``on_stage(name, seconds)`` is called after each stage.

    Returns {stage: seconds} of what was run (empty when the session was complete)."""
    from analysis.pipeline import fit_session_file

    timings = {}
    stages = needed_stages_of_file(path)
    session = read_session(path) if stages else None
    for stage in stages:
        t0 = time.perf_counter()
        if stage == "fit":
            fit_session_file(path)
            session = read_session(path)
        else:
            detect_cells(path, session)
        timings[stage] = time.perf_counter() - t0
        if on_stage is not None:
            on_stage(stage, timings[stage])
    return timings
