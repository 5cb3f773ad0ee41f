"""The cell table: one row per analysed cell, stored as a group of 1-D column datasets (easy to extend,
readable column by column from MATLAB). Numeric columns carry ``units``; text columns (label, model hash)
are UTF-8 strings; booleans are uint8 marked ``value_kind="bool"``. Optionally the 32 x 32 maps each cell was
analysed on (measured, reconstructed, residual B_NV) sit beside the columns in the subgroup ``snippets``, one
(n_cells, 32, 32) dataset per map in tesla, NaN where a cell has none."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .encoding import decode_array, to_json, write_array, write_strings
from .errors import SessionFileError, SessionWriteError
from .tree import Node
from .units import resolve_units

MODEL_HASH_COLUMN = "model_sha256"
USABLE_COLUMN, USABLE_REASON_COLUMN = "usable", "usable_reason"
OLDER_FILE_REASON = "not assessed (older file)"
"""A table without the usable verdict reads as usable with this reason."""
SNIPPETS_GROUP = "snippets"
SNIPPET_MAPS = ("measured_t", "model_t", "residual_t")
"""The per-cell maps the table may carry: the snippet analysed, the refinement's reconstruction, the residual."""


@dataclass
class CellTable:
    """Columns (name -> 1-D array, all of one length, in stored order) and units of the numeric ones."""

    columns: dict
    units: dict
    snippets: dict = dataclasses.field(default_factory=dict)
    """Map name (``SNIPPET_MAPS``) -> (n_cells, 32, 32) float array in tesla, NaN where a cell has none; empty
    when the file has no snippets (older files, or a table written without them)."""
    snippet_problems: list = dataclasses.field(default_factory=list)
    """Why stored snippet datasets were left out on reading (unknown name, wrong shape, not numbers): the
    columns are still read, the cells just show no stored snippet; empty when all were read."""

    def __len__(self):
        return 0 if not self.columns else len(next(iter(self.columns.values())))

    def records(self):
        """The rows as dicts of plain Python values (float, int, bool, str)."""
        return [{name: column[i].item() if isinstance(column[i], np.generic) else column[i]
                 for name, column in self.columns.items()} for i in range(len(self))]

    def model_hashes(self):
        """The distinct non-empty model hashes named by the rows."""
        column = self.columns.get(MODEL_HASH_COLUMN)
        return sorted({h for h in column if h}) if column is not None else []


def _column_from_values(name, values):
    """A 1-D array for one column of records: bool, int64, float64 or str, decided from the values."""
    if all(isinstance(v, bool | np.bool_) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
           for v in values):
        return np.array(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    kinds = sorted({type(v).__name__ for v in values})
    raise SessionWriteError(
        f"cell column {name!r} mixes or holds unsupported values ({', '.join(kinds)}); a column holds "
        "numbers (NaN for missing), booleans, or text ('' for missing)."
    )


def cell_columns(cells):
    """Columns from a sequence of records (dicts or dataclasses, all with the same fields) or from a
    mapping of column name -> 1-D array-like."""
    if isinstance(cells, Mapping):
        columns = {}
        for name, values in cells.items():
            array = np.asarray(values)
            if array.ndim != 1:
                raise SessionWriteError(f"cell column {name!r} has shape {array.shape}; columns are 1-D.")
            if array.dtype.kind in "USO":
                array = np.array([str(v) if array.dtype.kind in "US" else v for v in array], dtype=object)
            columns[name] = array
        lengths = {name: len(c) for name, c in columns.items()}
        if len(set(lengths.values())) > 1:
            raise SessionWriteError(f"cell columns differ in length: {lengths}.")
        return columns
    records = [dataclasses.asdict(c) if dataclasses.is_dataclass(c) else c for c in cells]
    if not records:
        return {}
    names = list(records[0])
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise SessionWriteError(f"cell {i} is a {type(record).__name__}; give dicts or dataclasses.")
        if set(record) != set(names):
            missing, extra = sorted(set(names) - set(record)), sorted(set(record) - set(names))
            raise SessionWriteError(
                f"cell {i} has different fields from cell 0 (missing {missing}, extra {extra}); every cell "
                "needs the same fields (NaN for an unknown number, '' for unknown text)."
            )
    return {name: _column_from_values(name, [r[name] for r in records]) for name in names}


def cell_units(columns, units):
    """Units of the numeric columns: ``units[name]``, else from the name; booleans are dimensionless."""
    numeric = [name for name, c in columns.items() if c.dtype != object]
    booleans = [name for name, c in columns.items() if c.dtype == bool]
    return resolve_units(numeric, units, "cell table", booleans)


def check_snippets(snippets, n_cells):
    """``snippets`` (map name -> (n_cells, h, w) numbers, or None) as float32 arrays; clear errors otherwise."""
    out = {}
    for name, value in (snippets or {}).items():
        if name not in SNIPPET_MAPS:
            raise SessionWriteError(f"cell snippet map {name!r} is not one of {SNIPPET_MAPS}.")
        array = np.asarray(value)
        if array.ndim != 3 or array.shape[0] != n_cells or array.dtype.kind not in "fiu":
            raise SessionWriteError(f"cell snippet map {name!r} has shape {array.shape} and dtype {array.dtype}; "
                                    f"give numbers of shape ({n_cells}, rows, cols), one map per cell of the table "
                                    "(NaN where a cell has none).")
        out[name] = array.astype(np.float32)
    return out


def stack_cell_snippets(per_cell):
    """Snippet maps of a table from one dict per cell (map name -> 2-D array, or None where the cell has none):
    name -> (n_cells, h, w) float32, NaN for the cells without that map; a map no cell has is left out. All maps
    have the shape of the first one given."""
    shape = next((np.shape(m) for maps in per_cell for m in maps.values() if m is not None), None)
    if shape is None:
        return {}
    out = {}
    for name in SNIPPET_MAPS:
        if not any(maps.get(name) is not None for maps in per_cell):
            continue
        stack = np.full((len(per_cell), *shape), np.nan, dtype=np.float32)
        for i, maps in enumerate(per_cell):
            m = maps.get(name)
            if m is not None:
                if np.shape(m) != shape:
                    raise SessionWriteError(f"cell {i}'s {name} map has shape {np.shape(m)}; the table's maps "
                                            f"are {shape}.")
                stack[i] = m
        out[name] = stack
    return out


def write_cell_columns(group, columns, resolved, snippets=None):
    """Write columns (and the checked ``snippets``, see check_snippets) into an empty group; ``resolved``: units
    of the numeric columns (see cell_units)."""
    group.attrs["n_cells"] = len(next(iter(columns.values()))) if columns else 0
    group.attrs["column_order"] = to_json(list(columns), "cell column order")
    for name, column in columns.items():
        if column.dtype == object:
            write_strings(group, name, column, f"cell column {name!r}")
        else:
            write_array(group, name, column, resolved[name], f"cell column {name!r}")
    if snippets:
        maps = group.create_group(SNIPPETS_GROUP)
        for name, array in snippets.items():
            write_array(maps, name, array, "T", f"cell snippet map {name!r}")


def cell_table_from_node(node, path, from_json):
    """Rebuild a CellTable from a loaded group (see tree.Node)."""
    order = from_json(node.attrs.get("column_order", "[]"), f"{path}: /analysis/cells column_order")
    missing = [name for name in order if name not in node.members]
    if missing:
        raise SessionFileError(f"{path}: /analysis/cells lacks the columns {missing}; the file is damaged.")
    columns, units = {}, {}
    for name in order:
        leaf = node.members[name]
        data = leaf.data
        if isinstance(data, np.ndarray) and data.dtype == object:
            columns[name] = data
        else:
            columns[name] = decode_array(np.asarray(data), leaf.attrs)
            units[name] = leaf.attrs.get("units", "")
    if columns and USABLE_COLUMN not in columns:  # tables written before the usable verdict
        n = len(next(iter(columns.values())))
        columns[USABLE_COLUMN] = np.ones(n, dtype=bool)
        columns[USABLE_REASON_COLUMN] = np.array([OLDER_FILE_REASON] * n, dtype=object)
    table = CellTable(columns=columns, units=units)
    maps = node.members.get(SNIPPETS_GROUP)
    if isinstance(maps, Node):
        for name, leaf in maps.members.items():
            array, problem = _snippet_array(name, leaf, len(table))
            if problem:
                table.snippet_problems.append(
                    f"{path}: /analysis/cells/{SNIPPETS_GROUP}/{name} {problem}; left out (the cell table itself is "
                    "read; re-analyse the cells to store them again)")
            else:
                table.snippets[name] = array
    return table


def _snippet_array(name, leaf, n_cells):
    """(array, None) for a readable snippet map, or (None, what is wrong with it)."""
    if name not in SNIPPET_MAPS:
        return None, f"is not one of the known maps {list(SNIPPET_MAPS)}"
    data = getattr(leaf, "data", None)
    data = np.asarray(data) if isinstance(data, np.ndarray | np.generic) else None
    if data is None or data.dtype.kind not in "fiu":
        kind = "a group or text" if data is None else f"dtype {data.dtype}"
        return None, f"is not an array of numbers ({kind})"
    if data.ndim != 3 or data.shape[0] != n_cells:
        return None, f"has shape {data.shape}, expected ({n_cells}, height, width) for the table's {n_cells} cells"
    return np.asarray(data, dtype=np.float32), None
