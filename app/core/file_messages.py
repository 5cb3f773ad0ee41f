"""Messages between the window's process and its worker processes (session files, the live fit): a JSON header
followed by the raw bytes of every array in it (no pickle). Nested dicts and lists may hold numpy arrays anywhere;
numpy scalars become Python numbers. An array is written from its own memory and read straight into a new array
(no intermediate ``bytes``), so that moving megabytes holds the GIL for no copy. Qt-free.
"""

import json
import struct

import numpy as np

_ARRAY = "__nvscope_array__"


def _encode(value, buffers):
    if isinstance(value, np.ndarray):
        # a 0-d array is contiguous: ascontiguousarray would make it 1-d
        array = value if value.flags.c_contiguous else np.ascontiguousarray(value)
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


def _decode(value, arrays):
    if isinstance(value, dict):
        if _ARRAY in value:
            if value[_ARRAY] < 0:
                return np.array(value["text"], dtype=object)
            return arrays[value[_ARRAY]]
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def _array_specs(value, specs):
    """{index: (dtype, shape)} of the arrays that follow the header ``value``."""
    if isinstance(value, dict):
        if value.get(_ARRAY, -1) >= 0:
            specs[value[_ARRAY]] = (np.dtype(value["dtype"]), tuple(value["shape"]))
        else:
            for v in value.values():
                _array_specs(v, specs)
    elif isinstance(value, list):
        for v in value:
            _array_specs(v, specs)
    return specs


def send(connection, message):
    """Send ``message`` (JSON-able plus numpy arrays) over a ``PipeConnection``."""
    buffers = []
    header = json.dumps(_encode(message, buffers)).encode("utf-8")
    connection.send_bytes(json.dumps({"n_buffers": len(buffers)}).encode("utf-8"))
    connection.send_bytes(header)
    for array in buffers:
        connection.send_bytes(memoryview(array.reshape(-1)).cast("B"))


def receive(connection):
    """The next message from ``connection`` (raises EOFError when the other end has gone)."""
    count = json.loads(connection.recv_bytes().decode("utf-8"))["n_buffers"]
    header = json.loads(connection.recv_bytes().decode("utf-8"))
    specs = _array_specs(header, {})
    if sorted(specs) != list(range(count)):
        raise OSError(f"a message announced {count} arrays but its header describes {len(specs)}")
    arrays = []
    for index in range(count):
        dtype, shape = specs[index]
        array = np.empty(shape, dtype)
        connection.recv_bytes_into(memoryview(array.reshape(-1)).cast("B"))
        arrays.append(array)
    return _decode(header, arrays)


class PipeConnection:
    """``send_bytes`` / ``recv_bytes`` over a pair of binary pipes (8-byte length, then the bytes); blocking
    reads and writes release the GIL."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    def send_bytes(self, data):
        data = memoryview(data)
        self.writer.write(struct.pack("<Q", data.nbytes))
        self.writer.write(data)
        self.writer.flush()

    def recv_bytes(self):
        (size,) = struct.unpack("<Q", self._exactly(8))
        return self._exactly(size)

    def recv_bytes_into(self, buffer):
        """Read the next message's bytes into ``buffer`` (a writable byte memoryview of exactly their size)."""
        (size,) = struct.unpack("<Q", self._exactly(8))
        if size != buffer.nbytes:
            raise OSError(f"expected {buffer.nbytes} bytes for an array, the message has {size}")
        done = 0
        while done < size:
            n = self.reader.readinto(buffer[done:])
            if not n:
                raise EOFError("the other process closed the pipe")
            done += n

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
