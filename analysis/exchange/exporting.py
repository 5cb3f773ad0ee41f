"""Exporting a session's results for other programs: float32 TIFF that Fiji/ImageJ and napari open with
the pixel size, MATLAB .mat (scipy.io.savemat) with pixel size and units as variables, CSV of the cells.

TIFF: one file per map, ImageJ hyperstack format (``imagej=True``), resolution in pixels per micrometre and
unit 'um', so Fiji's Image > Properties shows the pixel size; values in the map's units (T for fields),
stated in the ImageJ 'Info' text. NaN stays NaN. Maps with more than two dimensions are left out of TIFF.
"""

import csv
import math
import os

import numpy as np

from analysis.pipeline import session_pixel_size_m
from analysis.session import read_session

from .errors import ExchangeError, UnsupportedFormatError

FORMATS = {".tif": "tiff", ".tiff": "tiff", ".mat": "mat", ".csv": "csv"}
WHAT = ("field-map", "fit-maps", "cells")


def format_of(path, fmt=None):
    """'tiff', 'mat' or 'csv' from ``fmt`` or the file extension."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if fmt is not None:
        fmt = {"tif": "tiff"}.get(str(fmt).lower(), str(fmt).lower())
        if fmt not in ("tiff", "mat", "csv"):
            raise UnsupportedFormatError(f"export format {fmt!r} is not known; use tiff, mat or csv.")
        if FORMATS.get(ext, fmt) != fmt:  # a .tif holding a .mat file would open nowhere
            raise UnsupportedFormatError(f"{path}: the name says {FORMATS[ext]} but the format asked for is {fmt}; "
                                         "change the name's extension or the format.")
        return fmt
    if ext not in FORMATS:
        raise UnsupportedFormatError(f"{path}: cannot tell the format from {ext or 'no extension'!r}; end the name "
                                     "in .tif, .mat or .csv, or give the format.")
    return FORMATS[ext]


def write_tiff(path, array, pixel_size_m, units, name):
    """One 2-D map as float32 ImageJ TIFF with its pixel size (um) and units in the metadata."""
    import tifffile

    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 2:
        raise ExchangeError(f"{name} has shape {array.shape}; only 2-D maps go into a TIFF.")
    per_um = 1.0 / (pixel_size_m * 1e6)
    tifffile.imwrite(os.fspath(path), array, imagej=True, resolution=(per_um, per_um),
                     metadata={"unit": "um", "spacing": pixel_size_m * 1e6,
                               "Info": f"nvscope {name}, values in {units}, pixel {pixel_size_m * 1e6:g} um"})
    return os.fspath(path)


def _mat_name(name):
    """A MATLAB variable name (letters, digits, _; starts with a letter; at most 63 characters)."""
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return (clean if clean[:1].isalpha() else "v_" + clean)[:63]


def write_mat(path, arrays, units, pixel_size_m, extra=None):
    """name -> array into one .mat (v5) file, with ``pixel_size_um`` and ``units_<name>`` text variables."""
    import scipy.io

    content = {"pixel_size_um": float(pixel_size_m * 1e6)}
    for name, array in arrays.items():
        array = np.asarray(array)
        content[_mat_name(name)] = array.astype(np.uint8) if array.dtype == bool else array
        content[_mat_name("units_" + name)] = str(units.get(name, ""))
    content.update(extra or {})
    scipy.io.savemat(os.fspath(path), content, do_compression=True)
    return os.fspath(path)


def _session_maps(session, group, what):
    result = getattr(session, group)
    if result is None:
        raise ExchangeError(f"{session.path} has no {what}; run the fit first (nvscope fit).")
    return result


def _pixel_size(session, result):
    value = (result.settings or {}).get("pixel_size_m")
    return float(value) if value else session_pixel_size_m(session)


def export_field_map(session_path, out, *, fmt=None, name=None):
    """Export the field map: the background-subtracted ``b_nv_residual_t`` (or ``name``, e.g. 'b_nv_t').
    TIFF: one float32 file; .mat: every field-map array plus pixel_size_um and units. Returns the paths."""
    session = read_session(session_path)
    result = _session_maps(session, "field_map", "field map")
    pixel_size_m = _pixel_size(session, result)
    fmt = format_of(out, fmt)
    name = name or ("b_nv_residual_t" if "b_nv_residual_t" in result else "b_nv_t")
    if name not in result:
        raise ExchangeError(f"{session_path}: the field map has no array {name!r}; it has {sorted(result.arrays)}.")
    if fmt == "tiff":
        return [write_tiff(out, result[name], pixel_size_m, result.units.get(name, ""), name)]
    if fmt == "mat":
        return [write_mat(out, result.arrays, result.units, pixel_size_m)]
    raise UnsupportedFormatError(f"a field map is exported as tiff or mat, not {fmt}.")


def export_fit_maps(session_path, out, *, fmt=None):
    """Export the ODMR fit maps. .mat: all fit arrays (plus param_names) in one file. TIFF: one file per
    2-D map, named ``<out stem>_<map>.tif``. Returns the paths written."""
    session = read_session(session_path)
    result = _session_maps(session, "fit", "fit maps")
    field_map = session.field_map
    pixel_size_m = _pixel_size(session, field_map) if field_map is not None else session_pixel_size_m(session)
    fmt = format_of(out, fmt)
    if fmt == "mat":
        extra = {"param_names": str(result.settings.get("param_names", ""))}
        return [write_mat(out, result.arrays, result.units, pixel_size_m, extra)]
    if fmt != "tiff":
        raise UnsupportedFormatError(f"fit maps are exported as tiff or mat, not {fmt}.")
    stem, ext = os.path.splitext(os.fspath(out))
    written = []
    for name, array in result.arrays.items():
        if np.ndim(array) == 2:
            written.append(write_tiff(f"{stem}_{name}{ext}", np.asarray(array, dtype=np.float64),
                                      pixel_size_m, result.units.get(name, ""), name))
    return written


def export_cells(session_path, out, *, fmt=None):
    """Export the cell table: CSV (one header row of column names, which carry the SI units: z_m, iron_mass_g;
    empty for NaN) or .mat (one variable per column, text columns as cell arrays). Returns the paths."""
    session = read_session(session_path)
    table = session.cells
    if table is None:
        raise ExchangeError(f"{session_path} has no cell table; run the cell analysis first (nvscope analyze).")
    fmt = format_of(out, fmt)
    if fmt == "mat":
        arrays = {name: (np.asarray(col, dtype=object) if np.asarray(col).dtype == object else col)
                  for name, col in table.columns.items()}
        return [write_mat(out, arrays, table.units, session_pixel_size_m(session))]
    if fmt != "csv":
        raise UnsupportedFormatError(f"cells are exported as csv or mat, not {fmt}.")
    return [write_records_csv(out, table.records(), list(table.columns))]


def write_records_csv(path, records, names=None):
    """Cell records (dicts keyed by the session file's cell-table names: ``z_m``, ``iron_mass_g``, ...) as CSV:
    one header row of the names (``names``, else every record's names in first-seen order), one row per record;
    NaN and missing values are empty, booleans 0/1, floats written exactly (repr). The one CSV writer for cells:
    ``nvscope export --what cells`` and the GUI's cell-table export (``app.core.cells.write_csv``)."""
    records = list(records)
    names = list(names) if names is not None else list(dict.fromkeys(n for record in records for n in record))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for record in records:
            writer.writerow([_csv_value(record.get(name)) for name in names])
    return os.fspath(path)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)


def export_session(session_path, out, what, fmt=None):
    """``what``: 'field-map', 'fit-maps' or 'cells' (the ``nvscope export --what`` choices)."""
    functions = {"field-map": export_field_map, "fit-maps": export_fit_maps, "cells": export_cells}
    if what not in functions:
        raise ExchangeError(f"export what={what!r}; choose one of {', '.join(WHAT)}.")
    return functions[what](session_path, out, fmt=fmt)
