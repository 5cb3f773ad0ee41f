"""Messages between the window's process and its session-file process: a JSON header followed by the raw bytes
of every array in it (no pickle). Nested dicts and lists may hold numpy arrays anywhere; numpy scalars become
Python numbers. Qt-free.
"""

import json
import struct

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


class PipeConnection:
    """``send_bytes`` / ``recv_bytes`` over a pair of binary pipes (8-byte length, then the bytes); blocking
    reads and writes release the GIL."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    def send_bytes(self, data):
        self.writer.write(struct.pack("<Q", len(data)))
        self.writer.write(data)
        self.writer.flush()

    def recv_bytes(self):
        (size,) = struct.unpack("<Q", self._exactly(8))
        return self._exactly(size)

    def _exactly(self, size):
        chunks, left = [], size
        while left:
            chunk = self.reader.read(left)
            if not chunk:
                raise EOFError("the other process closed the pipe")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self):
        for stream in (self.writer, self.reader):
            try:
                stream.close()
            except OSError:
                pass
