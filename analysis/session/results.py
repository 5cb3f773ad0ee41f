"""Adding analysis results to a finished (or recovered) session file: fit maps, background, field map, the
cell table with the identity of the model behind it, and edits of the sample metadata.

Each call opens the file for appending (not SWMR), replaces the previous result of the same kind, and
closes. Replacement is done by writing the new group under a temporary name and then moving it into
place, so a crash leaves either the old result or the new one, never half of one. HDF5 does not give
back the space of replaced results; ``migrate_session(src, dst)`` writes a compacted copy.
"""

import os
import re
from collections.abc import Mapping

import numpy as np

from .cells import MODEL_HASH_COLUMN, cell_columns, cell_units, check_snippets, write_cell_columns
from .encoding import from_json, numeric_array, to_json, write_array, write_json
from .errors import SessionFileError, SessionInUseError, SessionSchemaError, SessionWriteError
from .scales import label_group, make_scale, map_pixel_size_m, pixel_scales
from .schema import (
    ACQUISITION,
    BACKGROUND,
    CELLS,
    FIELD_MAP,
    FIT,
    INCOMPLETE_SUFFIX,
    METADATA,
    MODELS,
    SCHEMA_VERSION,
    STATUS_RUNNING,
    file_schema_version,
)
from .tree import H5_ERRORS, open_h5, read_attrs
from .units import resolve_units

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _open_for_append(path):
    path = os.fspath(path)
    h5file = open_h5(path, "r+")
    try:
        attrs = read_attrs(h5file)
        version = file_schema_version(attrs, path)
        if version != SCHEMA_VERSION:
            raise SessionSchemaError(
                f"{path} has schema {version}; results are added only to schema {SCHEMA_VERSION} files. Make "
                "a current copy with analysis.session.migrate_session(path, new_path) and add them there."
            )
        try:
            status = h5file[f"{ACQUISITION}/status"][()].decode("utf-8", "replace")
        except H5_ERRORS as exc:
            raise SessionFileError(f"{path}: /{ACQUISITION}/status cannot be read ({exc}); damaged file.") from exc
        if status == STATUS_RUNNING:
            raise SessionInUseError(
                f"{path} has status 'running': its acquisition has not finished. If the writing process is "
                f"gone, run `nvscope recover {path}` first (or accept File > Open's offer to recover it)."
            )
    except BaseException:
        h5file.close()
        raise
    return h5file


def _replace_group(h5file, where, fill):
    """Write a new group at ``where`` with ``fill(group)``, replacing any old one only once it is complete."""
    staging = where + INCOMPLETE_SUFFIX
    if staging in h5file:
        del h5file[staging]
    fill(h5file.create_group(staging))
    if where in h5file:
        del h5file[where]
    h5file.move(staging, where)


def _check_names(names, what):
    for name in names:
        if not isinstance(name, str) or not name or "/" in name or name.endswith(INCOMPLETE_SUFFIX):
            raise SessionWriteError(f"{what}: {name!r} is not a usable name (non-empty text without '/').")


def _write_maps(path, where, arrays, units, settings, what):
    if not isinstance(arrays, Mapping) or not arrays:
        raise SessionWriteError(f"{what}: give a non-empty dict of name -> array.")
    _check_names(arrays, what)
    arrays = {name: numeric_array(array, f"{what}[{name!r}]") for name, array in arrays.items()}
    booleans = [name for name, array in arrays.items() if array.dtype == bool]
    resolved = resolve_units(list(arrays), units, what, booleans)
    settings_text = to_json(settings or {}, f"{what} settings")

    def fill(group):
        group.attrs["settings_json"] = settings_text
        for name, array in arrays.items():
            write_array(group, name, array, resolved[name], f"{what}[{name!r}]")
        label_group(group, pixel_size_m=map_pixel_size_m(group.file, settings))  # named dims for xarray

    with _open_for_append(path) as h5file:
        _replace_group(h5file, where, fill)


COVARIANCE_MAP = "param_cov"
"""The per-pixel parameter covariance (rows, cols, p, p): the largest fit map, p times ``param_err``."""


def write_fit_results(path, arrays, *, units=None, settings=None, covariance=True):
    """Store the ODMR fit maps (name -> array, e.g. f_minus_hz, fwhm_hz, contrast, reduced_chi2), replacing
    earlier ones. Units come from ``units`` or the names; ``settings`` (dict) records how they were made.
    covariance: False leaves out ``param_cov`` (p x p per pixel, the bulk of the fit's bytes; the standard
    errors stay in ``param_err``), and records ``covariance_stored = False`` in the settings."""
    if not covariance and COVARIANCE_MAP in arrays:
        arrays = {k: v for k, v in arrays.items() if k != COVARIANCE_MAP}
        units = None if units is None else {k: v for k, v in units.items() if k != COVARIANCE_MAP}
        settings = {**(settings or {}), "covariance_stored": False}
    _write_maps(path, FIT, arrays, units, settings, "fit results")


def write_background(path, arrays, *, units=None, settings=None):
    """Store the background removal result (e.g. background_t, coefficients_t), replacing earlier ones."""
    _write_maps(path, BACKGROUND, arrays, units, settings, "background")


def write_field_map(path, arrays, *, units=None, settings=None):
    """Store the field map (e.g. b_nv_t, b_nv_err_t, the background-subtracted map), replacing earlier ones."""
    _write_maps(path, FIELD_MAP, arrays, units, settings, "field map")


def write_cells(path, cells, *, units=None, models=None, settings=None, snippets=None):
    """Store the cell table, replacing an earlier one.

    cells: a sequence of records (dicts or dataclasses with the same fields, e.g. row_px, col_px, z_m,
        z_m_err, diameter_m, iron_mass_g, reduced_chi2, flag, label, normalised_field_t, model_sha256) or
        a dict of column name -> 1-D array. Numbers, booleans and text; units from ``units`` or the names.
    models: model_sha256 -> model card (dict, or JSON text) for every model named in the model_sha256
        column that the file does not hold yet ('' in that column = no model, e.g. a hand-placed cell).
        Cards are kept by hash; giving a card again replaces it.
    snippets: optional maps of every cell, name (``measured_t``, ``model_t``, ``residual_t``) -> (n_cells, 32, 32)
        B_NV in tesla (NaN where a cell has none): what the cell was analysed on and the refinement's
        reconstruction and residual, so that a review shows them as they were.
    """
    columns = cell_columns(cells)
    n_cells = len(next(iter(columns.values()))) if columns else 0
    snippets = check_snippets(snippets, n_cells)
    _check_names(columns, "cell table")
    resolved = cell_units(columns, units)
    models = dict(models or {})
    for sha in models:
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise SessionWriteError(f"model hash {sha!r} is not a lowercase hex SHA-256 (64 characters).")
    named = set()
    if MODEL_HASH_COLUMN in columns:
        column = columns[MODEL_HASH_COLUMN]
        if column.dtype != object:
            raise SessionWriteError(f"cell column {MODEL_HASH_COLUMN!r} must hold text (hex SHA-256 or '').")
        for i, sha in enumerate(column):
            if sha and not _SHA256.fullmatch(sha):
                raise SessionWriteError(f"cell {i}: {MODEL_HASH_COLUMN} = {sha!r} is not a lowercase hex "
                                        "SHA-256 (64 characters) nor ''.")
        named = {sha for sha in column if sha}
    settings_text = to_json(settings or {}, "cell table settings")

    def fill(group):
        group.attrs["settings_json"] = settings_text
        write_cell_columns(group, columns, resolved, snippets)
        cell = make_scale(group, "cell", np.arange(n_cells), "1", "row of the cell table")
        label_group(group, leading=cell)
        if snippets:  # snippet coordinates live in the cells group: the snippets group holds only maps
            shape = next(iter(snippets.values())).shape[1:]
            pixel = pixel_scales(group, shape, map_pixel_size_m(group.file, {}), prefix="snippet_")
            label_group(group["snippets"], shape, leading=cell, pixel=pixel)

    with _open_for_append(path) as h5file:
        stored = set(h5file[MODELS]) if MODELS in h5file else set()
        missing = sorted(named - stored - set(models))
        if missing:
            raise SessionWriteError(
                f"the cells name models {missing} but no model card for them was given or is stored; pass "
                "models={sha256: model_card}."
            )
        for sha, card in models.items():
            def fill_model(group, sha=sha, card=card):
                group.attrs["sha256"] = sha
                write_json(group, "model_card", card, f"model card {sha[:12]}")

            _replace_group(h5file, f"{MODELS}/{sha}", fill_model)
        _replace_group(h5file, CELLS, fill)


def update_sample_metadata(path, **fields):
    """Merge ``fields`` into the stored sample metadata (name, spion_concentration_ug_per_ml, notes, ...);
    returns the new dict. A field given as None is stored as null, not removed."""
    with _open_for_append(path) as h5file:
        where = f"{METADATA}/sample"
        sample = from_json(h5file[where].asstr()[()], f"{os.fspath(path)}: /{where}")
        sample.update(fields)
        # One in-place write of the string: a crash leaves the old text or the new one.
        h5file[where][()] = to_json(sample, "sample metadata")
    return sample


def write_calibration(path, calibration):
    """Store an ``analysis.calibration.Calibration`` in the session's sample metadata (``calibration``, and
    ``pixel_size_m`` with binning applied, as older readers look for it). The writer stores it at creation by
    putting ``calibration.to_attributes()`` under ``sample_metadata["calibration"]``; this adds or corrects
    it later (e.g. for a file taken before calibrations were recorded)."""
    return update_sample_metadata(path, calibration=calibration.to_attributes(),
                                  pixel_size_m=calibration.pixel_size_m)
