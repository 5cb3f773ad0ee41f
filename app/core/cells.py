"""The one cell record, from the analysis to the session file, the GUI table, the CSV and review mode.

Names are the session file's cell-table names: SI units in the name, the uncertainty of ``x`` in ``x_err``
(``z_m``, ``z_m_err``). A ``CellAnalyzer`` is ``f(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None)
-> results``: a sequence of records or one record of equal-length arrays with those names, reduced_chi2 and
flag (a text, or an integer code with its text in ``flag_names``); optionally the 32 x 32 maps (T) of the
measured / reconstructed / residual triptych (``measured_t`` / ``model_t`` / ``residual_t``, as the file stores
them), ``label`` and ``model_sha256`` (the network behind the start values). ``cell_rows`` turns either form,
and a stored table (``rows_of_table``), into ``CellRow``s; ``cell_record`` and ``write_csv`` write them back.
"""

from dataclasses import dataclass, fields, replace
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
    z_m_err: float = np.nan
    diameter_m: float = np.nan
    diameter_m_err: float = np.nan
    iron_mass_g: float = np.nan
    iron_mass_g_err: float = np.nan
    background_t: float = np.nan
    background_t_err: float = np.nan
    normalised_field_t: float = np.nan
    normalised_field_t_err: float = np.nan
    reduced_chi2: float = np.nan
    flag: int = 0
    """The analysis's flag bits (0 = good)."""
    flag_names: str = ""
    """The names of the set bits, joined by '|' as the session file stores them."""
    label: str = ""
    """The user's label."""
    model_sha256: str = ""
    record: dict = None
    """The row as the session file's cell table stores it (``CellResult.record()``, or the columns read from
    a file), kept so that saving the table writes every column the analysis gave, not only those shown."""
    measured_t: object = None
    model_t: object = None
    residual_t: object = None

    @property
    def flag_text(self):
        """The flag as the table shows it: "ok", or the problems' names."""
        if self.flag_names:
            return self.flag_names.replace("|", ", ")
        return "ok" if self.flag == 0 else f"flag {self.flag}"


VALUE_COLUMNS = ("row_px", "col_px", "z_m", "diameter_m", "iron_mass_g", "background_t", "normalised_field_t",
                 "reduced_chi2")
"""The values of a cell, in table order; those in ``WITH_ERRORS`` have an uncertainty ``<name>_err``."""
WITH_ERRORS = ("z_m", "diameter_m", "iron_mass_g", "background_t", "normalised_field_t")
_ARRAYS = ("measured_t", "model_t", "residual_t", "record")
_TEXT = ("flag_names", "label", "model_sha256")


def err(name):
    """The name of ``name``'s uncertainty, or None when it has none."""
    return f"{name}_err" if name in WITH_ERRORS else None


def _get(record, name):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def _lookup(record, name, index):
    value = _get(record, name)
    if value is None or index is None:
        return value
    return value[index]


def _flag(record, index):
    """(bits, names joined by '|') of a record's flag; the names may come as a tuple (``CellResult``)."""
    code = _lookup(record, "flag", index)
    names = _lookup(record, "flag_names", index)
    if isinstance(names, (tuple, list)):
        names = "|".join(str(n) for n in names)
    return int(code if code is not None else 0), str(names) if names is not None else ""


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
            if name in ("flag", "flag_names"):
                continue
            value = _lookup(record, name, index)
            if value is not None:
                values[name] = value if name in _ARRAYS else (str(value) if name in _TEXT else float(value))
        values["flag"], values["flag_names"] = _flag(record, index)
        rows.append(CellRow(**values))
    return rows



def rows_of_table(table):
    """``CellRow``s of a stored cell table, each keeping its stored columns as ``record`` (the label's value
    there is replaced by the row's on saving; its place keeps the column order)
    and its stored snippet maps (measured, reconstructed, residual; None where the file has none)."""
    if table is None or not len(table):
        return []
    records = table.records()
    maps = table.snippets or {}

    def stored(name, i):
        m = maps.get(name)
        return None if m is None or not np.any(np.isfinite(m[i])) else np.asarray(m[i], dtype=np.float64)

    return [replace(row, record=dict(rec), measured_t=stored("measured_t", i),
                    model_t=stored("model_t", i), residual_t=stored("residual_t", i))
            for i, (row, rec) in enumerate(zip(cell_rows(records), records, strict=True))]


def cell_record(row):
    """A ``CellRow`` as one row of the session's cell table: the analysis's own record when it gave one
    (``CellResult.record()``) with the user's label, else the shown values."""
    if row.record:
        return {**row.record, "label": str(row.label)}
    record = {}
    for name in VALUE_COLUMNS:
        record[name] = float(getattr(row, name))
        if err(name):
            record[err(name)] = float(getattr(row, err(name)))
    record.update(flag=int(row.flag), flag_names=str(row.flag_names), label=str(row.label),
                  model_sha256=str(row.model_sha256))
    return record


def cell_record_columns():
    """The value and uncertainty columns every cell table has, in order."""
    return [c for name in VALUE_COLUMNS for c in (name, err(name)) if c]


CSV_COLUMNS = (*cell_record_columns(), "flag", "flag_names", "label", "model_sha256")
"""The CSV export's columns: SI units named in the header, each value's uncertainty in the next column."""


def write_csv(path, rows):
    """The cells (``CellRow``s) as CSV: the rows the session file's cell table stores (``cell_record``), under
    its names, through the one cell CSV writer (``analysis.exchange.exporting.write_records_csv``, which
    ``nvscope export --what cells`` uses). An empty table gives the header ``CSV_COLUMNS``."""
    from analysis.exchange.exporting import write_records_csv  # loads the fit pipeline: only when exporting

    records = [cell_record(row) for row in rows]
    return write_records_csv(path, records, None if records else CSV_COLUMNS)
