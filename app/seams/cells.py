"""The per-cell analysis seam: ``analysis.cells.analyze_field_map`` (issue 5) plugs in here.

A ``CellAnalyzer`` is ``f(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None) -> results`` where the
results are either a sequence of records or one record of equal-length arrays, with the names
row_px, col_px, z_m, diameter_m, iron_mass_g, background_t, normalised_field_t (each with an ``_err``
partner), reduced_chi2 and flag; optionally snippet_t / model_t / residual_t (32 x 32 maps, T) for the
measured / reconstructed / residual triptych. ``cell_rows`` turns either form into ``CellRow``s.
"""

from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np


class CellAnalyzer(Protocol):
    def __call__(self, b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None): ...


@dataclass(frozen=True)
class CellRow:
    """One analysed cell (SI units; NaN where the analysis gave no value)."""

    row_px: float
    col_px: float
    z_m: float = np.nan
    z_err_m: float = np.nan
    diameter_m: float = np.nan
    diameter_err_m: float = np.nan
    iron_mass_g: float = np.nan
    iron_mass_err_g: float = np.nan
    background_t: float = np.nan
    background_err_t: float = np.nan
    normalised_field_t: float = np.nan
    normalised_field_err_t: float = np.nan
    reduced_chi2: float = np.nan
    flag: str = ""
    snippet_t: object = None
    model_t: object = None
    residual_t: object = None


def _lookup(record, name, index):
    value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
    if value is None and name.endswith(("_m", "_g", "_t")) and "_err_" in name:
        # also accept "<value name>_err" (z_m_err) for the uncertainty
        stem, _, unit = name.rpartition("_err_")
        alt = f"{stem}_{unit}_err"
        value = record.get(alt) if isinstance(record, dict) else getattr(record, alt, None)
    if value is None or index is None:
        return value
    return value[index]


def cell_rows(results):
    """``CellRow``s from an analyzer's results (a sequence of records, or one record of arrays)."""
    if results is None:
        return []
    names = [f.name for f in fields(CellRow)]
    probe = results.get("row_px") if isinstance(results, dict) else getattr(results, "row_px", None)
    if probe is not None and np.ndim(probe) == 1:
        records, indices = [results] * len(probe), range(len(probe))
    else:
        records = list(results)
        indices = [None] * len(records)
    rows = []
    for record, index in zip(records, indices, strict=True):
        values = {}
        for name in names:
            value = _lookup(record, name, index)
            if value is not None:
                values[name] = value if name in ("snippet_t", "model_t", "residual_t") else (
                    str(value) if name == "flag" else float(value))
        rows.append(CellRow(**values))
    return rows

