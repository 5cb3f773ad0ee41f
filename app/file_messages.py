"""Messages between the window's process and its session-file process: a JSON header followed by the raw bytes
of every array in it (no pickle). Nested dicts and lists may hold numpy arrays anywhere; numpy scalars become
Python numbers. Qt-free.
"""

import json

import numpy as np

_ARRAY = "__nvscope_array__"


def _encode(value, buffers):
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype == object:  # text columns: a list of strings
            return {_ARRAY: -1, "text": [str(v) for v in array]}
        buffers.append(array)
        return {_ARRAY: len(buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(value, dict):
        return {str(k): _encode(v, buffers) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, buffers) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value, buffers):
    if isinstance(value, dict):
        if _ARRAY in value:
            if value[_ARRAY] < 0:
                return np.array(value["text"], dtype=object)
            raw = buffers[value[_ARRAY]]
            return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).reshape(value["shape"]).copy()
        return {k: _decode(v, buffers) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, buffers) for v in value]
    return value


def send(connection, message):
    """Send ``message`` (JSON-able plus numpy arrays) over a ``multiprocessing`` connection."""
    buffers = []
    header = json.dumps(_encode(message, buffers)).encode("utf-8")
    connection.send_bytes(json.dumps({"n_buffers": len(buffers)}).encode("utf-8"))
    connection.send_bytes(header)
    for array in buffers:
        connection.send_bytes(array.tobytes())


def receive(connection):
    """The next message from ``connection`` (raises EOFError when the other end has gone)."""
    count = json.loads(connection.recv_bytes().decode("utf-8"))["n_buffers"]
    header = json.loads(connection.recv_bytes().decode("utf-8"))
    buffers = [connection.recv_bytes() for _ in range(count)]
    return _decode(header, buffers)
