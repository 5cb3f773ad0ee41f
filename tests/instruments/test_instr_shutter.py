"""Shutters: the SC10 protocol (pyvisa-sim and a byte-faithful emulator), the KSC101 APT bytes, the mock and
its faults."""

import contextlib
import struct
import time

import pytest

from instruments.errors import (
    DriverUnavailableError,
    InstrumentDisconnectedError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from instruments.faults import ShutterFaults
from instruments.shutter import Ksc101Shutter, MockShutter, Sc10Shutter, Shutter, kinesis_solenoid_class
from instruments.virtual_microscope import InstrumentState


class FakeSc10Port:
    """What an SC10 sends back, byte for byte: echo + CR, value + CR for queries, then the "> " prompt.
    ``read()`` returns up to the prompt's ">" like a pyvisa resource with read_termination=">"."""

    def __init__(self, interlock_ok=True):
        self.enabled = False
        self.interlock_ok = interlock_ok
        self.written = []
        self._out = ""

    def write(self, command):
        self.written.append(command)
        reply = command + "\r"
        if command == "ens?":
            reply += f"{int(self.enabled)}\r"
        elif command == "ens":
            self.enabled = (not self.enabled) and self.interlock_ok
        elif command == "id?":
            reply += "THORLABS SC10 VERSION 1.07\r"
        elif command != "mode=1":
            reply += "CMD_NOT_DEFINED\r"
        self._out += reply + "> "

    def read(self):
        head, _, self._out = self._out.partition(">")
        return head

    def close(self):
        pass


class FakeRm:
    def __init__(self, port):
        self.port, self.kwargs = port, None

    def open_resource(self, name, **kwargs):
        self.kwargs = kwargs
        return self.port


def test_sc10_toggles_only_when_needed_and_checks_the_result():
    port = FakeSc10Port()
    rm = FakeRm(port)
    shutter = Sc10Shutter("ASRL/dev/ttyUSB0::INSTR", timeout_s=0.5, baud_rate=115200, resource_manager=rm)
    assert isinstance(shutter, Shutter)
    assert rm.kwargs == {"read_termination": ">", "write_termination": "\r", "timeout": 500, "baud_rate": 115200}
    assert shutter.identity == "THORLABS SC10 VERSION 1.07"
    assert port.written == ["id?", "mode=1", "ens?"]  # connecting: closed already, so no toggle
    port.written.clear()
    shutter.open_shutter()
    assert port.enabled and shutter.is_open()
    assert port.written == ["ens?", "ens", "ens?", "ens?"]
    port.written.clear()
    shutter.open_shutter()  # already open: query only
    assert port.written == ["ens?"]
    shutter.close()
    assert not port.enabled and not shutter.connected


def test_sc10_interlock_stops_it_opening():
    shutter = Sc10Shutter("ASRL1::INSTR", resource_manager=FakeRm(FakeSc10Port(interlock_ok=False)))
    with pytest.raises(InstrumentReplyError, match="did not open"):
        shutter.open_shutter()


def test_sc10_commands_against_pyvisa_sim(sim_rm):
    shutter = Sc10Shutter("ASRL1::INSTR", timeout_s=0.2, resource_manager=sim_rm)
    assert shutter.identity == "THORLABS SC10 VERSION 1.07"
    assert shutter.is_open() is False
    with pytest.raises(InstrumentReplyError, match="did not open the shutter after 'ens'"):
        shutter.open_shutter()  # this simulated controller's shutter never moves (interlock)
    shutter.close()


def test_sc10_garbage_reply_is_a_reply_error(sim_rm):
    with pytest.raises(InstrumentReplyError, match=r"answered '#~' to 'ens\?'"):
        Sc10Shutter("ASRL2::INSTR", timeout_s=0.2, resource_manager=sim_rm)


def test_sc10_silence_is_a_timeout_within_the_timeout(sim_rm):
    start = time.monotonic()
    with pytest.raises(InstrumentTimeoutError, match="shutter.timeout_s"):
        Sc10Shutter("ASRL3::INSTR", timeout_s=0.2, resource_manager=sim_rm)
    assert time.monotonic() - start < 0.6


class FakeAptPort:
    """A KSC101 on a fake pylablib backend: records the bytes, answers MGMSG_MOT_REQ_SOL_STATE."""

    conn = "68000001"

    def __init__(self):
        self.sent, self.solenoid_on, self._out = [], False, b""

    def write(self, data):
        self.sent.append(bytes(data))
        message_id, _, param2, _, _ = struct.unpack("<HBBBB", data)
        if message_id == 0x04CB:
            self.solenoid_on = param2 == 0x01
        if message_id == 0x04CC:
            self._out += struct.pack("<HBBBB", 0x04CD, 0x01, 0x01 if self.solenoid_on else 0x02, 0x01, 0x50)

    def read(self, size):
        if len(self._out) < size:
            raise TimeoutError("no reply")
        data, self._out = self._out[:size], self._out[size:]
        return data

    @contextlib.contextmanager
    def using_timeout(self, timeout):
        yield

    def close(self):
        pass


def test_ksc101_sends_the_apt_solenoid_messages():
    port = FakeAptPort()
    shutter = Ksc101Shutter("68000001", device=kinesis_solenoid_class().from_backend(port))
    assert port.sent[:3] == [bytes.fromhex("c004 01 01 50 01"),   # SET_SOL_OPERATINGMODE ch1 manual
                             bytes.fromhex("cb04 01 02 50 01"),   # SET_SOL_STATE ch1 off (closed)
                             bytes.fromhex("cc04 01 00 50 01")]   # REQ_SOL_STATE ch1
    port.sent.clear()
    shutter.open_shutter()
    assert port.solenoid_on and shutter.is_open()
    assert port.sent[0] == bytes.fromhex("cb04 01 01 50 01")      # SET_SOL_STATE ch1 on (open)
    shutter.close()
    assert not port.solenoid_on and not shutter.connected


def test_mock_shutter_drives_the_microscope_state():
    state = InstrumentState()
    with MockShutter(state) as shutter:
        shutter.open_shutter()
        assert state.shutter_open and shutter.is_open()
        shutter.close_shutter()
        assert not state.shutter_open
        shutter.set_open(True)
    assert not state.shutter_open  # leaving the block closed it


def test_mock_shutter_faults_are_typed_and_change_nothing():
    state = InstrumentState()
    shutter = MockShutter(state, ShutterFaults(timeout_after_n_commands=2), timeout_s=0.1)
    start = time.monotonic()
    with pytest.raises(InstrumentTimeoutError, match="shutter.timeout_s"):
        shutter.open_shutter()
    assert 0.1 <= time.monotonic() - start < 0.5 and not state.shutter_open
    shutter.open_shutter()
    shutter.arm_faults(ShutterFaults(disconnect_after_n_commands=1))
    shutter.ensure_closed()  # the first attempt fails as unplugged, the retry closes it
    assert not state.shutter_open
    shutter.open_shutter()
    shutter.arm_faults(ShutterFaults(disconnect_after_n_commands=1))
    with pytest.raises(InstrumentDisconnectedError, match="faults.shutter_disconnect_after_n_commands"):
        shutter.close_shutter()
    assert state.shutter_open
    shutter.close()
    assert not state.shutter_open


def test_sc10_on_a_missing_port_is_a_clear_error():
    # without pyserial, pyvisa-py cannot open serial ports: DriverUnavailableError says to install it;
    # with pyserial, the port does not exist: InstrumentDisconnectedError
    with pytest.raises((DriverUnavailableError, InstrumentDisconnectedError), match="pyserial|shutter.resource"):
        Sc10Shutter("ASRL/dev/ttyNONEXISTENT0::INSTR", timeout_s=0.2)
