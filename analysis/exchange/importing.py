"""Importing other setups' data as nvscope session files: ODMR cubes (``import_cube``) and field maps
(``import_field_map``). The result is an ordinary session: ``nvscope fit``, ``nvscope analyze``, review mode
and the study read it like any other.

How an imported cube is stored (docs/import_export.md): a cube holds one value per pixel and frequency (PL
counts, or a ratio such as on/off), not nvscope's on/off frame sums. Each step is written as one "pair"
(n_pairs = 1, one sweep) with off_sum = S everywhere and on_sum = round(value x S), S a power of two chosen so
that the largest value x S is below 2**52, and no dark frame: the session's spin contrast on/off gives back
the imported values to 1 part in 2**52 of the largest. Non-finite values are stored as on = off = 0, which
the contrast reads as NaN. The sums are therefore not camera counts; the provenance says so.

Provenance goes into /metadata/instrument_settings as {"source": "import", "import": {...}}: source file
name and path, its SHA-256, format, variable names, units and how they were decided, the frequency source,
the axis order, the scale S, the given pixel size and the import time.
"""

import math
import os
from dataclasses import dataclass, field

import numpy as np

from analysis import physics
from analysis.session import SessionWriter, write_background, write_field_map
from analysis.session.schema import default_app_version, utc_now

from .errors import EmptyDataError, ExchangeError, FrequencyOrderError, ShapeError
from .sources import read_array, read_frequency_file, sha256_of
from .units import field_scale_t, frequencies_hz

MANTISSA_BITS = 52


@dataclass
class ImportReport:
    """What an import wrote: the session path, the shape, and the provenance stored in the file."""

    path: str
    shape: tuple
    provenance: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)
    """Lines to print: the units rule used, axis order chosen, values set to NaN."""


def _provenance(source, details, **extra):
    return {"source_file": os.path.basename(source), "source_path": os.path.abspath(source),
            "source_sha256": sha256_of(source), "format": details["format"], "imported_utc": utc_now(),
            "nvscope_version": default_app_version(), **extra}


def _pixel_size_m(pixel_size_um, required, what):
    if pixel_size_um is None:
        if required:
            raise ExchangeError(f"{what}: give the pixel size at the sample in micrometres (--pixel-size-um, "
                                "pixel_size_um=): nvscope assumes none, and the background and cells need it.")
        return None
    value = float(pixel_size_um)
    if not (math.isfinite(value) and value > 0):
        raise ExchangeError(f"pixel_size_um = {pixel_size_um!r}; give a positive size in micrometres.")
    return value * 1e-6


def _finite_or_fail(array, source, what):
    array = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.any():
        raise EmptyDataError(f"{source}: the {what} of shape {array.shape} holds no finite value (all NaN or "
                             "infinite); check the variable chosen.")
    return np.where(finite, array, np.nan), int(array.size - np.count_nonzero(finite))  # +-inf: missing too


def _frequency_list(source, details, freq, freq_var):
    """(values, description of where they came from)."""
    if freq is not None and not isinstance(freq, str | os.PathLike):
        return np.asarray(freq, dtype=np.float64).reshape(-1), "given as an array"
    if freq is not None:
        return read_frequency_file(freq, freq_var), f"file {os.path.basename(os.fspath(freq))}" + (
            f" variable {freq_var}" if freq_var else "")
    if freq_var is not None:
        return read_frequency_file(source, freq_var), f"variable {freq_var} of the source file"
    if details.get("tiff_freqs") is not None:
        return details["tiff_freqs"].reshape(-1), "TIFF metadata"
    raise ExchangeError(f"{source}: no frequency list; give freq (a .npy/.txt/.csv file or an array) or, for "
                        ".mat/.npz files, freq_var (the variable holding the frequencies).")


def _freq_last(cube, n_freq, freq_axis, is_tiff, source):
    """The cube as (rows, cols, n_freq) and the axis the frequencies were on."""
    if cube.ndim != 3:
        raise ShapeError(f"{source}: the cube has shape {cube.shape}; give a 3-D array (rows, cols, n_freq) "
                         "(a TIFF: one page per frequency).")
    if freq_axis is None:
        candidates = [0] if is_tiff else [2, 0]
        matching = [a for a in candidates if cube.shape[a] == n_freq]
        if not matching:
            raise ShapeError(f"{source}: the cube has shape {cube.shape} but the frequency list has {n_freq} "
                             "values; no axis of that length where frequencies are looked for (last, or "
                             "first; pages for TIFF). Give the matching frequency list, or freq_axis.")
        freq_axis = matching[0]
    elif cube.shape[freq_axis] != n_freq:
        raise ShapeError(f"{source}: axis {freq_axis} of the cube {cube.shape} has {cube.shape[freq_axis]} "
                         f"entries but the frequency list has {n_freq}.")
    return np.moveaxis(cube, freq_axis, -1), freq_axis % 3


def import_cube(source, out, *, cube_var=None, freq=None, freq_var=None, freq_units=None, freq_axis=None,
                pixel_size_um=None, split_hz=None, sample_name=None, overwrite=False):
    """Import an ODMR cube as a new session file ``out``; returns an ``ImportReport``.

    source: .npy, .npz, multi-page .tif/.tiff (one page per frequency) or MATLAB .mat (v5 or v7.3).
    cube_var: the cube's variable in .mat/.npz files (e.g. 'M'); freq_var: the frequencies' variable in the
        same file (e.g. 'Ftot'), or in ``freq`` when that is a .mat/.npz file.
    freq: frequency list as a file (.npy, .txt, .csv) or an array; a TIFF may carry it in its metadata.
    freq_units: 'Hz', 'kHz', 'MHz', 'GHz', or None to infer (units.FREQ_RULE; the rule is in the report).
    freq_axis: the cube axis holding the frequencies; default: pages of a TIFF, else the last axis (or the
        first, when only it has the frequency list's length).
    pixel_size_um: pixel size at the sample (required: nvscope assumes no pixel size), stored as sample
        metadata pixel_size_m; the background removal and the cells use it.
    split_hz: for spectra holding both f- and f+: the frequency between them. The steps below and above are
        stored as two frequency windows, so the fit takes two transitions (B_NV and D per pixel).
    Raises ExchangeError subclasses (all ValueError) and SessionExistsError when ``out`` exists.
    """
    source = os.fspath(source)
    cube, details = read_array(source, cube_var, "cube")
    values, freq_source = _frequency_list(source, details, freq, freq_var)
    if values.ndim != 1 or values.size < 2:
        raise ShapeError(f"{source}: the frequency list has {values.size} values; give at least 2.")
    if not np.all(np.isfinite(values)):
        raise FrequencyOrderError(f"{source}: the frequency list ({freq_source}) holds NaN or infinite values.")
    steps = np.diff(values)
    if not np.all(steps > 0):
        k = int(np.argmax(steps <= 0))
        hint = " (it decreases: reverse both the list and the cube's frequency axis)" if np.all(steps < 0) else ""
        raise FrequencyOrderError(f"{source}: the frequencies ({freq_source}) are not strictly increasing: "
                                  f"value {k + 1} = {values[k + 1]!r} follows {values[k]!r}{hint}.")
    freq_hz, units_used, units_how = frequencies_hz(values, freq_units)
    cube, axis_used = _freq_last(cube, values.size, freq_axis, details["format"] in ("tif", "tiff"), source)
    cube, n_bad = _finite_or_fail(cube, source, "cube")
    if np.nanmin(cube) < 0:
        raise ExchangeError(f"{source}: the cube holds negative values (min {np.nanmin(cube):.6g}); nvscope "
                            "sessions hold PL or on/off ratios (dips are minima). Import the PL, or the ratio.")
    largest = float(np.nanmax(cube))
    if largest <= 0:
        raise EmptyDataError(f"{source}: the cube is all zero; nothing to fit.")
    scale = 2.0 ** min(MANTISSA_BITS, MANTISSA_BITS - math.ceil(math.log2(largest)))
    finite = np.isfinite(cube)
    on = np.where(finite, np.round(np.where(finite, cube, 0.0) * scale), 0.0).astype(np.uint64)
    off = np.where(finite, scale, 0.0).astype(np.uint64)
    pixel_size_m = _pixel_size_m(pixel_size_um, True, source)
    provenance = _provenance(
        source, details, kind="odmr_cube", cube_var=details.get("variable"),
        variables_present=details.get("variables_present"), freq_var=freq_var, freq_source=freq_source,
        freq_units=units_used, freq_units_rule=units_how, freq_axis=axis_used, source_shape=list(cube.shape),
        non_finite_values=n_bad, pixel_size_um=pixel_size_um, scale=scale,
        stored_as="on_sum = round(value * scale), off_sum = scale, n_pairs = 1, no dark frame: the spin "
                  "contrast on/off is the imported value; the sums are not camera counts")
    rows, cols, n = cube.shape
    sample = {"name": sample_name or os.path.splitext(os.path.basename(source))[0],
              "notes": f"imported from {os.path.basename(source)}"}
    if pixel_size_m is not None:
        sample["pixel_size_m"] = pixel_size_m
    windows = freq_hz
    if split_hz is not None:
        below = freq_hz < float(split_hz)
        if below.all() or not below.any():
            raise ExchangeError(f"split_hz = {split_hz!r} Hz is outside the sweep {freq_hz[0]:.6g}-{freq_hz[-1]:.6g} "
                                "Hz; give a frequency between the f- and f+ dips.")
        windows = [freq_hz[below], freq_hz[~below]]
        provenance["split_hz"] = float(split_hz)
    now = float(os.path.getmtime(source))
    with SessionWriter.create(out, frame_shape=(rows, cols), freq_hz=windows, overwrite=overwrite,
                              plan={"kind": "import", "n_steps": n, "pairs_per_step": 1, "sweeps": 1},
                              instrument_settings={"source": "import", "import": provenance},
                              sample_metadata=sample) as writer:
        for k in range(n):
            writer.write_step(k, 0, on[:, :, k], off[:, :, k], 1, now, now)
        writer.finish("finished", f"imported from {os.path.basename(source)}")
    messages = [f"frequencies: {freq_source}, {units_used} ({units_how}); {freq_hz[0]:.6g}-{freq_hz[-1]:.6g} Hz",
                f"cube axis {axis_used} taken as the frequency axis; frame {rows} x {cols}, {n} steps"]
    if n_bad:
        messages.append(f"{n_bad} non-finite values stored as missing (NaN contrast)")
    return ImportReport(os.fspath(out), (rows, cols, n), provenance, messages)


def import_field_map(source, out, *, units, pixel_size_um, map_var=None, background_order=None,
                     sample_name=None, overwrite=False):
    """Import a field map (B_NV, e.g. QDMlab's B111 map) as a new session ``out`` holding no ODMR data.

    units: 'tesla', 'microtesla' or 'gauss' (also T, mT, uT, nT, G); pixel_size_um: required.
    The map is stored as /analysis/field_map b_nv_t (T) and, as the map the cell analysis reads,
    b_nv_residual_t: the map as given, or, with background_order (0, 1, 2, ...), minus a robust polynomial
    background of that order (also stored in /analysis/background). The acquisition part has one empty step
    at D (step_done 0): ``nvscope fit`` refuses it, ``nvscope analyze`` works.
    """
    source = os.fspath(source)
    scale_t = field_scale_t(units)
    pixel_size_m = _pixel_size_m(pixel_size_um, True, source)
    array, details = read_array(source, map_var, "map")
    if array.ndim == 3 and 1 in (array.shape[0], array.shape[-1]):
        array = array.reshape([n for n in array.shape if n != 1] or [1])
    if array.ndim != 2 or min(array.shape) < 2:
        raise ShapeError(f"{source}: the map has shape {array.shape}; give a 2-D array (rows, cols).")
    b_t, n_bad = _finite_or_fail(array, source, "map")
    b_t = b_t * scale_t
    provenance = _provenance(source, details, kind="field_map", map_var=details.get("variable"),
                             variables_present=details.get("variables_present"), field_units=str(units),
                             tesla_per_unit=scale_t, pixel_size_um=float(pixel_size_um), source_shape=list(b_t.shape),
                             non_finite_values=n_bad, background_order=background_order)
    sample = {"name": sample_name or os.path.splitext(os.path.basename(source))[0],
              "notes": f"field map imported from {os.path.basename(source)}", "pixel_size_m": pixel_size_m}
    with SessionWriter.create(out, frame_shape=b_t.shape, freq_hz=[physics.ZERO_FIELD_SPLITTING_HZ],
                              overwrite=overwrite, plan={"kind": "import", "n_steps": 0},
                              instrument_settings={"source": "import", "import": provenance},
                              sample_metadata=sample) as writer:
        writer.finish("finished", f"field map imported from {os.path.basename(source)}; no ODMR data")
    residual = b_t
    if background_order is not None:
        from analysis.background import remove_background

        background, residual, info = remove_background(b_t, order=int(background_order), pixel_size_m=pixel_size_m)
        write_background(out, {"background_t": background, "used_mask": info["used"]},
                         settings={"order": int(background_order), "noise_t": float(info["noise_t"])})
    write_field_map(out, {"b_nv_t": b_t, "b_nv_residual_t": residual},
                    settings={"pixel_size_m": pixel_size_m, "binning": 1, "source": "import",
                              "residual": "the imported map as given" if background_order is None else
                              f"the imported map minus a robust polynomial background of order {background_order}"})
    messages = [f"map {b_t.shape[0]} x {b_t.shape[1]} in {units} ({scale_t:g} T per unit), "
                f"pixel {pixel_size_um} um"]
    return ImportReport(os.fspath(out), b_t.shape, provenance, messages)
