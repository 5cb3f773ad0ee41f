"""Reading arrays out of other programs' files: .npy/.npz, (multi-page) TIFF, MATLAB .mat v5 (scipy) and
v7.3 (HDF5, h5py), frequency lists as .npy/.txt/.csv. Everything comes back as numpy arrays in Python
(row-major) axis order: MATLAB v7.3 stores column-major, so its arrays are transposed back here."""

import hashlib
import os
import re

import numpy as np

from .errors import MissingVariableError, ShapeError, SourceNotFoundError, UnsupportedFormatError

ARRAY_FORMATS = (".npy", ".npz", ".tif", ".tiff", ".mat")
FREQ_FORMATS = (".npy", ".txt", ".csv", ".dat")
TIFF_FREQ_KEYS = ("freq_hz", "frequencies", "frequency", "freq", "Ftot")


def check_source(path, formats):
    """The path as text; raises SourceNotFoundError / UnsupportedFormatError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise SourceNotFoundError(f"{path} does not exist (or is not a file); give the path of the file to import.")
    ext = os.path.splitext(path)[1].lower()
    if ext not in formats:
        raise UnsupportedFormatError(f"{path}: the extension {ext or '(none)'!r} is not one of {', '.join(formats)}.")
    return path


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _numeric(array, path, what):
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise ShapeError(f"{path}: {what} has dtype {array.dtype}; give real numbers.")
    return array


def _pick(variables, var, path, what):
    """variables[var], or the only numeric variable when var is None; MissingVariableError lists them."""
    names = sorted(variables)
    if var is None:
        if len(names) == 1:
            return names[0], variables[names[0]]
        raise MissingVariableError(f"{path} holds the variables {names}; say which is the {what} "
                                   f"(e.g. {what}_var={names[0]!r}).")
    if var not in variables:
        raise MissingVariableError(f"{path} has no variable {var!r} for the {what}; it holds {names}.")
    return var, variables[var]


def _mat_variables(path):
    """name -> ndarray of a .mat file, and the MATLAB format ('v5' or 'v7.3')."""
    import scipy.io

    try:
        raw = scipy.io.loadmat(path)
    except NotImplementedError:  # v7.3: an HDF5 file
        return _mat73_variables(path), "v7.3"
    except (ValueError, OSError, scipy.io.matlab.MatReadError) as exc:
        import h5py

        if h5py.is_hdf5(path):  # a v7.3 file whose 128-byte MATLAB header is missing or odd
            return _mat73_variables(path), "v7.3"
        raise UnsupportedFormatError(f"{path} cannot be read as a MATLAB .mat file: {exc}.") from exc
    return {k: v for k, v in raw.items() if not k.startswith("__") and isinstance(v, np.ndarray)
            and v.dtype.kind in "biuf"}, "v5"


def _mat73_variables(path):
    import h5py

    from analysis.session.tree import check_reads_in_time

    check_reads_in_time(path)  # HDF5 can loop for ever on some damaged files: checked in a child first
    out = {}
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise UnsupportedFormatError(f"{path} cannot be read as a MATLAB v7.3 (HDF5) file: {exc}.") from exc
    with f:
        for name, item in f.items():
            if name.startswith("#") or not isinstance(item, h5py.Dataset) or item.dtype.kind not in "biuf":
                continue
            # MATLAB writes column-major: h5py sees the axes reversed
            out[name] = np.asarray(item[()]).transpose()
    return out


def _tiff(path):
    """(array, frequencies from metadata or None). Pages stay the first axis."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        array = tif.asarray()
        freqs = None
        candidates = [tif.shaped_metadata[0]] if tif.shaped_metadata else []
        if tif.imagej_metadata:
            candidates.append(tif.imagej_metadata)
        for meta in candidates:
            for key in TIFF_FREQ_KEYS:
                if isinstance(meta, dict) and meta.get(key) is not None:
                    freqs = np.asarray(meta[key], dtype=np.float64)
                    break
            if freqs is None and isinstance(meta, dict) and isinstance(meta.get("Labels"), list | tuple):
                try:
                    freqs = np.asarray([float(label) for label in meta["Labels"]])
                except ValueError:
                    pass
            if freqs is not None:
                break
    return array, freqs


def read_array(path, var, what):
    """(array, details) from a .npy/.npz/.tif/.mat file; ``var`` names the variable in .npz/.mat files.

    details: format, variable used, variables present, and for TIFF the frequency list found in its metadata.
    A TIFF stack comes back with its pages as the first axis."""
    path = check_source(path, ARRAY_FORMATS)
    ext = os.path.splitext(path)[1].lower()
    details = {"format": ext.lstrip("."), "variable": var}
    if ext == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise UnsupportedFormatError(f"{path} cannot be read as a numeric .npy array: {exc}.") from exc
    elif ext == ".npz":
        with np.load(path, allow_pickle=False) as z:
            variables = {k: z[k] for k in z.files}
        details["variable"], array = _pick(variables, var, path, what)
        details["variables_present"] = sorted(variables)
    elif ext == ".mat":
        variables, details["format"] = _mat_variables(path)
        details["format"] = "mat " + details["format"]
        details["variable"], array = _pick(variables, var, path, what)
        details["variables_present"] = sorted(variables)
    else:
        try:
            array, details["tiff_freqs"] = _tiff(path)
        except Exception as exc:  # tifffile raises several kinds for files that are not TIFF
            raise UnsupportedFormatError(f"{path} cannot be read as a TIFF file: {exc}.") from exc
    return _numeric(array, path, what), details


def read_frequency_file(path, var=None):
    """A 1-D frequency list from .npy (or .mat/.npz with ``var``), .txt/.csv/.dat (one column or one row;
    comma, semicolon, tab or space separated; '#' comments and header lines skipped)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in (".mat", ".npz", ".npy"):
        array, _ = read_array(path, var, "freq")
    else:
        path = check_source(path, FREQ_FORMATS + (".mat", ".npz"))
        rows = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = [x for x in re.split(r"[,;\s]+", line.split("#")[0].strip()) if x]
                try:
                    rows.append([float(x) for x in fields])
                except ValueError:
                    continue  # a header line
        rows = [r for r in rows if r]
        if not rows:
            raise ShapeError(f"{path} holds no numbers; give one frequency per line.")
        if len({len(r) for r in rows}) != 1 or (len(rows) > 1 and len(rows[0]) > 1):
            raise ShapeError(f"{path} holds a table of {len(rows)} rows x {len(rows[0])} columns; give the "
                             "frequencies as one column or one row.")
        array = np.asarray(rows, dtype=np.float64)
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 1 and array.size == max(array.shape):  # (n, 1) or (1, n), as MATLAB vectors are
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ShapeError(f"{path}: the frequency list has shape {array.shape}; give a 1-D list.")
    return array
