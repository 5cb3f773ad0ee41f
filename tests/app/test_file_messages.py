"""Messages to and from the worker processes (app.core.file_messages): arrays of any layout arrive whole, as
writable arrays of their own shape and type, read straight into place; a garbled stream is an error, not a hang."""

import os
import struct
import threading

import numpy as np
import pytest

from app.core.file_messages import PipeConnection, receive, send


def _through_a_pipe(message):
    read_fd, write_fd = os.pipe()

    def write():
        with open(write_fd, "wb") as writer:
            send(PipeConnection(None, writer), message)

    writer = threading.Thread(target=write)  # a pipe holds 64 kB: the writer must run beside the reader
    writer.start()
    with open(read_fd, "rb") as reader:
        got = receive(PipeConnection(reader, None))
    writer.join()
    return got


def test_arrays_of_every_layout_arrive_whole_and_writable():
    rng = np.random.default_rng(1)
    message = {"scalar": np.array(2.5), "empty": np.empty((0, 3), np.float32), "flags": np.array([True, False]),
               "transposed": np.arange(12.0).reshape(3, 4).T, "big": rng.normal(size=(256, 256, 8)),
               "nested": [{"cov": rng.normal(size=(4, 4, 2, 2))}, 3]}
    got = _through_a_pipe(message)
    for name in ("scalar", "empty", "flags", "transposed", "big"):
        assert got[name].dtype == message[name].dtype and got[name].shape == message[name].shape
        np.testing.assert_array_equal(got[name], message[name])
        assert got[name].flags.writeable
    np.testing.assert_array_equal(got["nested"][0]["cov"], message["nested"][0]["cov"])
    assert got["nested"][1] == 3


def _four_doubles_announced_then(body):
    """A pipe's reading end holding a message that announces an array of four float64 values, then ``body``."""
    read_fd, write_fd = os.pipe()
    with open(write_fd, "wb") as writer:
        connection = PipeConnection(None, writer)
        connection.send_bytes(b'{"n_buffers": 1}')
        connection.send_bytes(b'{"a": {"__nvscope_array__": 0, "dtype": "<f8", "shape": [4]}}')
        writer.write(body)
    return open(read_fd, "rb")


def test_an_array_of_the_wrong_size_is_an_error():
    one_value = struct.pack("<Q", 8) + struct.pack("<d", 1.0)
    with _four_doubles_announced_then(one_value) as reader, pytest.raises(OSError, match="expected 32 bytes"):
        receive(PipeConnection(reader, None))


def test_a_closed_pipe_mid_array_is_end_of_file():
    a_quarter = struct.pack("<Q", 32) + b"\0" * 8  # the length, then a quarter of the bytes
    with _four_doubles_announced_then(a_quarter) as reader, pytest.raises(EOFError):
        receive(PipeConnection(reader, None))
