"""The per-cell analysis seam: ``analysis.cells.analyze_field_map`` (issue 5) plugs in here.

A ``CellAnalyzer`` is ``f(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None) -> results`` where the
results are either a sequence of records or one record of equal-length arrays, with the names
row_px, col_px, z_m, diameter_m, iron_mass_g, background_t, normalised_field_t (each with an ``_err``
partner), reduced_chi2 and flag (a text, or an integer code with its text in ``flag_names``); optionally the
32 x 32 maps (T) of the measured / reconstructed / residual triptych (``snippet_t`` / ``model_t`` /
``residual_t``, or the aliases in ``_ALIASES``), ``label`` and ``model_sha256`` (the network behind the start
values). ``cell_rows`` turns either form into ``CellRow``s; the session file's cell table reads back the same way.
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
    """The flag as text ("ok", or the names of the problems)."""
    flag_code: int = 0
    """The analysis's flag bits (0 = good)."""
    label: str = ""
    """The user's label."""
    model_sha256: str = ""
    record: dict = None
    """The row as the session file's cell table stores it (``CellResult.record()``, or the columns read from
    a file), kept so that saving the table writes every column the analysis gave, not only those shown."""
    snippet_t: object = None
    model_t: object = None
    residual_t: object = None


_ARRAYS = ("snippet_t", "model_t", "residual_t", "record")
_TEXT = ("flag", "label", "model_sha256")
_ALIASES = {"snippet_t": ("measured_t", "snippet_measured_t", "measured_snippet_t"),
            "model_t": ("reconstructed_t", "snippet_model_t", "reconstructed_snippet_t"),
            "residual_t": ("snippet_residual_t", "residual_snippet_t"),
            "flag_code": ("flag_bits",)}


def _get(record, name):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def _lookup(record, name, index):
    value = _get(record, name)
    for alias in _ALIASES.get(name, ()):
        value = value if value is not None else _get(record, alias)
    if value is None and name.endswith(("_m", "_g", "_t")) and "_err_" in name:
        # also accept "<value name>_err" (z_m_err) for the uncertainty
        stem, _, unit = name.rpartition("_err_")
        alt = f"{stem}_{unit}_err"
        value = _get(record, alt)
    if value is None or index is None:
        return value
    return value[index]


def _flag(record, index):
    """(text, code) of a record's flag: a text flag as it is; an integer flag with its ``flag_names``."""
    flag = _lookup(record, "flag", index)
    names = _lookup(record, "flag_names", index)
    code = _lookup(record, "flag_code", index)
    if isinstance(names, (tuple, list)):
        names = ", ".join(str(n) for n in names)
    elif isinstance(names, str):
        names = names.replace("|", ", ")  # the session table joins the names with '|'

    if flag is None:
        return (str(names) if names else ""), int(code or 0)
    if isinstance(flag, (str, np.str_)):
        return str(flag), int(code or 0)
    code = int(flag)
    return (str(names) if names else ("ok" if code == 0 else f"flag {code}")), code


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
            if name in ("flag", "flag_code"):
                continue
            value = _lookup(record, name, index)
            if value is not None:
                values[name] = value if name in _ARRAYS else (str(value) if name in _TEXT else float(value))
        values["flag"], values["flag_code"] = _flag(record, index)
        rows.append(CellRow(**values))
    return rows

