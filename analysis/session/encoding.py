"""How values are stored: JSON text for dicts (never pickle), arrays with a ``units`` attribute, booleans
as uint8 flagged ``value_kind="bool"`` (plain numbers for MATLAB and other readers)."""

import dataclasses
import json
import math
import os

import h5py
import numpy as np

from .errors import SessionFileError, SessionWriteError
from .schema import COMPRESS_MIN_ELEMENTS, SUM_STORAGE

STRING_DTYPE = h5py.string_dtype("utf-8")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"a {type(value).__name__} ({value!r:.80}) is not a JSON value")


def _reject_non_finite(value, where):
    if isinstance(value, float) and not math.isfinite(value):
        raise SessionWriteError(f"{where} holds the number {value!r}; JSON has no NaN or infinity: use None.")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_non_finite(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _reject_non_finite(item, f"{where}[{i}]")


def to_json(value, what):
    """JSON text of ``value`` (dicts, lists, numbers, strings, None; numpy values and dataclasses are
    converted). Tuples come back as lists."""
    try:
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise SessionWriteError(
            f"{what} cannot be stored as JSON: {exc}. Give dicts, lists, numbers, strings, booleans or None."
        ) from None
    _reject_non_finite(json.loads(text), what)
    return text


def from_json(text, where):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SessionFileError(f"{where} is not valid JSON ({exc}); the file is damaged.") from None


def write_json(group, name, value, what):
    """A scalar UTF-8 string dataset holding ``value`` as JSON, marked ``encoding="json"``.

    A string ``value`` is taken as JSON text already (it must parse) and stored unchanged."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as exc:
            raise SessionWriteError(f"{what} was given as text but is not valid JSON: {exc}.") from None
        text = value
    else:
        text = to_json(value, what)
    dataset = group.create_dataset(name, data=text, dtype=STRING_DTYPE)
    dataset.attrs["encoding"] = "json"
    return dataset


def numeric_array(value, what):
    """``value`` as a numeric (or bool) ndarray; refuses text, objects and complex numbers."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise SessionWriteError(
            f"{what} has dtype {array.dtype}; only real numbers or booleans can be stored as arrays."
        )
    return array


def write_array(group, name, value, units, what, **extra_attrs):
    """Store a numeric array with its ``units``; large arrays are chunked and compressed (lossless)."""
    array = numeric_array(value, what)
    attrs = {"units": units, **extra_attrs}
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
        attrs["value_kind"] = "bool"
    storage = {}
    if array.ndim >= 1 and array.size >= COMPRESS_MIN_ELEMENTS:
        storage = {"chunks": True, **SUM_STORAGE}
    dataset = group.create_dataset(name, data=array, **storage)
    dataset.attrs.update(attrs)
    return dataset


def write_strings(group, name, values, what):
    values = list(values)
    for i, item in enumerate(values):
        if not isinstance(item, str):
            raise SessionWriteError(f"{what}[{i}] is {item!r}; a text column holds only strings.")
    return group.create_dataset(name, data=np.array(values, dtype=object), dtype=STRING_DTYPE)


def fixed_text_dtype(n_bytes):
    return h5py.string_dtype("utf-8", length=n_bytes)


def fit_text(text, n_bytes):
    """``text`` encoded as UTF-8 and cut (at a character boundary) to at most n_bytes."""
    encoded = str(text).encode("utf-8")
    if len(encoded) > n_bytes:
        encoded = encoded[:n_bytes].decode("utf-8", "ignore").encode("utf-8")
    return encoded


def decode_array(data, attrs):
    """Undo ``write_array``'s encoding of booleans."""
    if attrs.get("value_kind") == "bool" and isinstance(data, np.ndarray | np.generic):
        return np.asarray(data).astype(bool)
    return data
