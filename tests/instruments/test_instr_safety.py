"""Safety: on every exit path of ``open_instruments`` the RF output goes off and the shutter closes — normal
end, an exception, an abort, and every fault the mocks can inject (set from the config's [faults])."""

import threading

import pytest

from instruments.config import config_from_dict
from instruments.errors import (
    DroppedFrameError,
    FrameTimeoutError,
    InstrumentDisconnectedError,
    InstrumentError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from instruments.factory import build_microscope, open_instruments

FAST = {"rf": {"timeout_s": 0.2}, "shutter": {"timeout_s": 0.2}, "camera": {"timeout_s": 0.2},
        "microscope": {"n_rows": 32, "n_cols": 32, "n_cells": 0}}


def _config(faults=None):
    return config_from_dict({**FAST, "faults": faults or {}})


@pytest.fixture(scope="module")
def microscope():
    return build_microscope(_config().microscope)


def _start_measuring(inst):
    inst.shutter.open_shutter()
    inst.rf.set_frequency_hz(2.87e9)
    inst.rf.set_output(True)
    state = inst.microscope.state
    assert state.rf_on and state.shutter_open


def _assert_safe(microscope):
    state = microscope.state
    assert state.rf_on is False and state.shutter_open is False


def test_normal_exit_is_safe_and_leaves_no_threads(microscope):
    before = threading.active_count()
    with open_instruments(_config(), microscope) as inst:
        _start_measuring(inst)
        assert inst.camera.snap().shape == (32, 32)
    _assert_safe(microscope)
    assert threading.active_count() == before
    assert inst.rf is None and inst.rf_server is not None


@pytest.mark.parametrize("raised", [RuntimeError("analysis crashed"), KeyboardInterrupt()])
def test_exception_or_abort_in_the_block_is_safe(microscope, raised):
    with pytest.raises(type(raised)), open_instruments(_config(), microscope) as inst:
        _start_measuring(inst)
        raise raised
    _assert_safe(microscope)


def _rf_query(inst):
    inst.rf.frequency_hz()


def _shutter_move(inst):
    inst.shutter.close_shutter()


def _camera_frames(inst):
    inst.camera.start_acquisition(mode="sequence", nframes=10)
    for _ in range(6):
        inst.camera.wait_for_frame(timeout=inst.frame_timeout_s)
        inst.camera.read_multiple_images()


# Each fault fires on the first command/frame after _start_measuring. RF (counted per command, a compound message
# holding two): connecting sends *IDN?, *CLS, OUTP 0;:SYST:ERR?; _start_measuring SOUR:FREQ ...;:SYST:ERR?,
# OUTP 1;:SYST:ERR?; so the action's query is command 9.
# Shutter: connecting closes it (command 1), _start_measuring opens it (2), the action's move is command 3.
@pytest.mark.parametrize("faults, action, error", [
    ({"rf_timeout_after_n_commands": 9}, _rf_query, InstrumentTimeoutError),
    ({"rf_disconnect_after_n_commands": 9}, _rf_query, InstrumentDisconnectedError),
    ({"rf_garbage_reply_after_n_commands": 9}, _rf_query, InstrumentReplyError),
    ({"shutter_timeout_after_n_commands": 3}, _shutter_move, InstrumentTimeoutError),
    ({"shutter_disconnect_after_n_commands": 3}, _shutter_move, InstrumentDisconnectedError),
    ({"camera_drop_frame_every_n": 3}, _camera_frames, DroppedFrameError),
    ({"camera_late_frame_every_n": 2, "camera_late_frame_s": 1.0}, _camera_frames, FrameTimeoutError),
    ({"camera_disconnect_after_n_frames": 2}, _camera_frames, InstrumentDisconnectedError),
])
def test_every_injected_fault_is_typed_and_leaves_rf_off_and_shutter_closed(microscope, faults, action, error):
    with pytest.raises(error) as info, open_instruments(_config(faults), microscope) as inst:
        _start_measuring(inst)
        action(inst)
    assert isinstance(info.value, InstrumentError) and str(info.value)
    _assert_safe(microscope)


def test_a_fault_during_the_shutdown_itself_is_retried(microscope):
    # the shutter's next command (the shutdown's close) hangs; the retry closes it; the RF connection is gone
    # when the shutdown starts and is re-established to switch the output off
    faults = {"shutter_timeout_after_n_commands": 3, "rf_disconnect_after_n_commands": 9}
    with open_instruments(_config(faults), microscope) as inst:
        _start_measuring(inst)
    _assert_safe(microscope)


def test_a_shutdown_that_cannot_reach_the_rf_source_raises(microscope):
    with pytest.raises(InstrumentDisconnectedError) as info, open_instruments(_config(), microscope) as inst:
        _start_measuring(inst)
        inst.rf_server.stop()  # the generator vanishes for good
    assert microscope.state.shutter_open is False  # the shutter was still closed
    assert "RF generator" in str(info.value) or "SMB100A" in str(info.value)
    with microscope.state.lock:
        microscope.state.rf_on = False  # reset the shared state for the other tests
