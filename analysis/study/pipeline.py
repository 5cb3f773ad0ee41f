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


_UNITS_NOT_IN_NAMES = {"snippet_row": "pixel", "snippet_col": "pixel"}
_SCALAR_TYPES = (int, float, str, bool, np.integer, np.floating, np.bool_)


def _cell_records(results):
    """Cell-table rows from ``CellResult`` objects (``CellResult.record()``, plus an empty label); for other
    result objects: their scalar fields, the flag names as text and the model hash."""
    records = []
    for r in results:
        if hasattr(r, "record"):  # analysis.cells.CellResult knows its own table row
            records.append({**r.record(), "label": ""})
            continue
        record = dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r)
        row = {k: v for k, v in record.items() if isinstance(v, _SCALAR_TYPES)}
        if "flag_names" in record:
            row["flag_names"] = ",".join(record["flag_names"])
        identity = record.get("model_identity") or {}
        row.setdefault("model_sha256", str(identity.get("sha256", "")))
        row.setdefault("label", "")
        records.append(row)
    return records


def fill_unfitted_pixels(b_nv_map_t):
    """The map with NaN pixels (unconverged ODMR fits) replaced by the median of their finite 3 x 3 neighbours
    (0 where none is finite: the background-subtracted map's level). Returns (map, number filled)."""
    m = np.array(b_nv_map_t, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(m))
    for r, c in bad:
        block = m[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2]
        finite = block[np.isfinite(block)]
        m[r, c] = float(np.median(finite)) if finite.size else 0.0
    return m, len(bad)


def _cnn_or_physics_only():
    """The committed CNN, or False (physics-only refinement, cells flagged NO_CNN) when it is not available."""
    from analysis.cells import CellCNN, CellModelError

    try:
        return CellCNN(), ""
    except CellModelError as exc:
        return False, f"CNN not available ({exc}); cells refined by physics alone"


def detect_cells(path, session=None, use_cnn=True):
    """Run the cell analysis on a session's background-subtracted field map and store the cell table.

    Unfitted (NaN) pixels are filled first (``fill_unfitted_pixels``). Without the committed CNN the cells
    are refined by physics alone (flag NO_CNN) and the table's settings say so. Returns the number of cells."""
    try:
        from analysis.cells import analyze_field_map
    except ImportError as exc:
        raise StudyInputError(f"{path} has no cell table and the cell analysis (analysis.cells.analyze_field_map) "
                              f"is not available in this nvscope ({exc}); analyse the session's cells first.") from exc
    from analysis.pipeline import session_pixel_size_m

    session = session or read_session(path)
    field_map, n_filled = fill_unfitted_pixels(session.field_map["b_nv_residual_t"])
    model, note = _cnn_or_physics_only() if use_cnn else (False, "cells refined by physics alone (CNN not used)")
    # noise_t=None: the cell analysis estimates the per-pixel noise from pixel differences, which the cells'
    # own fields hardly touch (the background step's MAD of the map includes them)
    results = analyze_field_map(field_map, session_pixel_size_m(session), noise_t=None, model=model)
    noise = getattr(results[0], "noise_t", None) if results else None
    noise = float(noise) if noise is not None else None
    records = _cell_records(results)
    cards = {model.sha256: model.card} if model and any(r["model_sha256"] for r in records) else None
    settings = {"source": "analysis.cells.analyze_field_map", "n_cells": len(records),
                "unfitted_pixels_filled": n_filled, "noise_t": noise}
    if note:
        settings["note"] = note
    units = {k: v for k, v in _UNITS_NOT_IN_NAMES.items() if records and k in records[0]}
    write_cells(path, records, units=units or None, models=cards, settings=settings)
    return len(records)


def analyse_session(path, on_stage=None, use_cnn=True):
    """Run the missing stages on one session file. ``on_stage(name, seconds)`` is called after each stage;
    ``use_cnn=False`` refines new cell tables by physics alone (flag NO_CNN).

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
            detect_cells(path, session, use_cnn)
        timings[stage] = time.perf_counter() - t0
        if on_stage is not None:
            on_stage(stage, timings[stage])
    return timings
