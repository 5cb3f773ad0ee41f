"""The cell stage of one session file: background-subtracted field map -> cell table, headless.

``nvscope analyze`` and the labelling study call ``analyse_session_cells`` after ``analysis.pipeline.
fit_session_file``, so a session's cells are measured the same way everywhere.
"""

import dataclasses

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from analysis.session import read_session, stack_cell_snippets, write_cells

_UNITS_NOT_IN_NAMES = {"snippet_row": "pixel", "snippet_col": "pixel"}
_SCALAR_TYPES = (int, float, str, bool, np.integer, np.floating, np.bool_)


def cell_records(results):
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
    """The map with NaN pixels (unconverged ODMR fits) replaced by the median of their finite 3 x 3 neighbours,
    in rounds, so that larger holes fill from their rims inwards (0 where the map has no finite pixel: the
    background-subtracted map's level). The one policy for unfitted pixels: the GUI's click and detect-all and
    ``nvscope analyze`` analyse the same map. Returns (map, number filled)."""
    m = np.array(b_nv_map_t, dtype=np.float64)
    n_bad = int(np.count_nonzero(~np.isfinite(m)))
    m[~np.isfinite(m)] = np.nan
    while True:
        bad = np.isnan(m)
        if not bad.any():
            break
        windows = sliding_window_view(np.pad(m, 1, constant_values=np.nan), (3, 3))[bad].reshape(-1, 9)
        fillable = np.isfinite(windows).any(axis=1)
        if not fillable.any():
            m[bad] = 0.0
            break
        rows, cols = np.nonzero(bad)
        # every pixel of a round from the map as it was before the round: the fill does not depend on order
        m[rows[fillable], cols[fillable]] = np.nanmedian(windows[fillable], axis=1)
    return m, n_bad


def _cnn_or_physics_only():
    """The committed CNN, or False (physics-only refinement, cells flagged NO_CNN) when it is not available."""
    from analysis.cells import CellCNN, CellModelError

    try:
        return CellCNN(), ""
    except CellModelError as exc:
        return False, f"CNN not available ({exc}); cells refined by physics alone"


def analyse_session_cells(path, session=None, use_cnn=True):
    """Run the cell analysis on a session's background-subtracted field map and store the cell table.

    Unfitted (NaN) pixels are filled first (``fill_unfitted_pixels``). Without the committed CNN the cells
    are refined by physics alone (flag NO_CNN) and the table's settings say so. Returns the number of cells."""
    from analysis.cells import analyze_field_map

    session = session or read_session(path)
    if session.field_map is None or "b_nv_residual_t" not in session.field_map:
        raise ValueError(f"{path} has no background-subtracted field map; fit it first (`nvscope fit {path}`, "
                         "or analysis.pipeline.fit_session_file).")
    field_map, n_filled = fill_unfitted_pixels(session.field_map["b_nv_residual_t"])
    model, note = _cnn_or_physics_only() if use_cnn else (False, "cells refined by physics alone (CNN not used)")
    # noise_t=None: the cell analysis estimates the per-pixel noise from pixel differences, which the cells'
    # own fields hardly touch (the background step's MAD of the map includes them)
    # the session's calibration (pixel size with binning, NV axis in the image frame); a map from fewer steps
    # than the sweep planned makes its cells not usable
    calibration = session.calibration
    fit_binning = int((session.field_map.settings or {}).get("binning", 1) or 1)
    if fit_binning > 1:  # the ODMR fit averaged fit_binning x fit_binning pixels: the map's pixels are larger
        calibration = dataclasses.replace(calibration, binning=calibration.binning * fit_binning)
    results = analyze_field_map(field_map, calibration.pixel_size_m, noise_t=None, model=model,
                                calibration=calibration, steps_done=int(session.n_steps_completed),
                                steps_planned=int(session.n_steps))
    noise = getattr(results[0], "noise_t", None) if results else None
    noise = float(noise) if noise is not None else None
    records = cell_records(results)
    cards = {model.sha256: model.card} if model and any(r["model_sha256"] for r in records) else None
    settings = {"source": "analysis.cells.analyze_field_map", "n_cells": len(records),
                "calibration": calibration.to_attributes(),
                "unfitted_pixels_filled": n_filled, "noise_t": noise}
    if note:
        settings["note"] = note
    units = {k: v for k, v in _UNITS_NOT_IN_NAMES.items() if records and k in records[0]}
    snippets = stack_cell_snippets([{"measured_t": getattr(r, "measured_t", None),
                                     "model_t": getattr(r, "reconstructed_t", None),
                                     "residual_t": getattr(r, "residual_t", None)} for r in results])
    write_cells(path, records, units=units or None, models=cards, settings=settings, snippets=snippets)
    return len(records)
