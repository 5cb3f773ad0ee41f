"""The mock SCPI generator: SCPI parsing, the instrument model, the TCP server, and the driver talking to it
through pyvisa-py — including the injected faults and their typed errors."""

import socket
import threading
import time

import pytest

from instruments.errors import (
    ConfigError,
    InstrumentDisconnectedError,
    InstrumentLimitError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from instruments.faults import RfFaults
from instruments.rf import scpi_parser as scpi
from instruments.rf.interface import RfLimits, RfSource
from instruments.rf.mock_generator import MockGenerator
from instruments.rf.mock_server import MockScpiServer
from instruments.rf.scpi_source import ScpiRfSource
from instruments.virtual_microscope import InstrumentState

TIMEOUT_S = 0.2


# --- SCPI parsing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header, matches", [
    ("SOUR:FREQ", True), ("source:frequency:cw", True), ("FREQ", True), ("Freq:Cw", True), ("SOUR1:FREQ", True),
    ("SOURC:FREQ", False), ("FREQU", False), ("SOUR:FREQ:CW:CW", False), ("POW", False),
])
def test_headers_match_short_and_long_forms_case_insensitively(header, matches):
    nodes = scpi.compile_header("[SOURce]:FREQuency[:CW]")
    assert scpi.header_matches(nodes, tuple(header.split(":"))) is matches


@pytest.mark.parametrize("text, value_hz", [
    ("2870000000", 2.87e9), ("2.87GHz", 2.87e9), ("2.87 ghz", 2.87e9), ("2870 MHz", 2.87e9),
    ("2870000kHz", 2.87e9), ("2.87e9 Hz", 2.87e9), (".5GHZ", 0.5e9), ("MAX", 6e9), ("min", 9e3),
])
def test_numbers_with_unit_suffixes(text, value_hz):
    assert scpi.parse_numeric(text, scpi.FREQUENCY_UNITS, 9e3, 6e9) == pytest.approx(value_hz, rel=1e-12)


@pytest.mark.parametrize("text, code", [("2.87 THz", -131), ("abc", -104), ("", -109), ("7GHz", -222)])
def test_bad_numbers_raise_the_scpi_error(text, code):
    with pytest.raises(scpi.ScpiError) as info:
        scpi.parse_numeric(text, scpi.FREQUENCY_UNITS, 9e3, 6e9)
    assert info.value.code == code


def test_compound_messages_resolve_relative_headers():
    commands = scpi.split_program_message("SOUR:FREQ 1GHz;POW -10;:OUTP ON;*OPC?")
    assert [c.tokens for c in commands] == [("SOUR", "FREQ"), ("SOUR", "POW"), ("OUTP",), ("*OPC",)]
    assert commands[-1].query and commands[1].argument == "-10"


# --- the instrument model ----------------------------------------------------------------------------------
def test_generator_writes_its_state_through_and_queues_errors():
    state = InstrumentState()
    gen = MockGenerator("smb100a", state)
    assert gen.execute_line("SOUR:FREQ 2.87 GHz;POW -7.5dBm;:OUTP ON") is None
    assert (state.rf_frequency_hz, state.rf_power_dbm, state.rf_on) == (2.87e9, -7.5, True)
    assert gen.execute_line("FREQ?;:POW?;:OUTP?") == "2870000000;-7.5;1"
    gen.execute_line("POW 40")  # above the SMB100A's +18 dBm
    gen.execute_line("BOGUS 1")
    assert state.rf_power_dbm == -7.5  # the rejected setting changed nothing
    assert gen.execute_line("SYST:ERR?") == '-222,"Data out of range"'
    assert gen.execute_line("syst:err?") == '-113,"Undefined header"'
    assert gen.execute_line("SYSTem:ERRor:NEXT?") == '0,"No error"'
    gen.execute_line("*RST")
    assert state.rf_on is False


@pytest.mark.parametrize("dialect, query, reply", [
    ("mxg", ":FREQ?", "+2.870000000000000E+09"), ("sg384", "FREQ?", "2870000000.000000"),
    ("sg384", "FREQ? MHz", "2870.000000"), ("smb100a", "FREQ?", "2870000000"),
])
def test_reply_formats_follow_each_model(dialect, query, reply):
    gen = MockGenerator(dialect)
    gen.execute_line("FREQ 2.87 GHz")
    assert gen.execute_line(query) == reply


def test_sg384_reports_errors_by_code():
    gen = MockGenerator("sg384")
    gen.execute_line("AMPR 30")  # above +16.5 dBm
    assert gen.execute_line("LERR?") == "10"
    assert gen.execute_line("LERR?") == "0"


# --- the TCP server ----------------------------------------------------------------------------------------
def _raw_query(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
        sock.sendall(line.encode() + b"\n")
        return sock.makefile("rb").readline().decode().strip()


def test_server_speaks_scpi_over_tcp_and_stops_cleanly():
    before = threading.active_count()
    with MockScpiServer("smb100a") as server:
        assert server.port > 0 and server.resource_name == f"TCPIP::127.0.0.1::{server.port}::SOCKET"
        assert _raw_query(server.port, "*IDN?").startswith("Rohde&Schwarz,SMB100A")
        assert _raw_query(server.port, "SOUR:FREQ 3.1GHz;:SOUR:FREQ?") == "3100000000"
        assert server.generator.state.rf_frequency_hz == 3.1e9
    assert threading.active_count() == before


# --- the driver through pyvisa-py ---------------------------------------------------------------------------
@pytest.fixture(params=["smb100a", "mxg", "sg384"])
def served(request):
    with MockScpiServer(request.param) as server, \
            ScpiRfSource(server.resource_name, request.param, RfLimits(1e9, 4e9, 10.0), TIMEOUT_S) as rf:
        yield server, rf


def test_driver_round_trips_every_command(served):
    server, rf = served
    assert isinstance(rf, RfSource)
    assert server.generator.model.idn == rf.identity()
    assert rf.output_on() is False  # connecting switches the output off
    rf.set_frequency_hz(2.8705e9)
    rf.set_power_dbm(-12.25)
    rf.set_output(True)
    assert rf.frequency_hz() == pytest.approx(2.8705e9, abs=1e-3)
    assert rf.power_dbm() == pytest.approx(-12.25, abs=1e-6)
    assert rf.output_on() is True
    state = server.generator.state
    assert (state.rf_frequency_hz, state.rf_power_dbm, state.rf_on) == (pytest.approx(2.8705e9), -12.25, True)
    rf.close()
    assert state.rf_on is False


def test_limits_are_checked_before_anything_is_sent(served):
    server, rf = served
    rf.set_power_dbm(-20)
    with pytest.raises(InstrumentLimitError, match=r"RF power 25 dBm is above the configured limit of 10 dBm "
                                                    r"\(config: rf.max_power_dbm\)"):
        rf.set_power_dbm(25)
    with pytest.raises(InstrumentLimitError, match="rf.max_frequency_hz"):
        rf.set_frequency_hz(5e9)
    with pytest.raises(InstrumentLimitError, match="rf.min_frequency_hz"):
        rf.set_frequency_hz(0.5e9)
    with pytest.raises(InstrumentLimitError, match="finite"):
        rf.set_frequency_hz(float("nan"))
    assert server.generator.power_dbm == -20.0 and server.generator.errors == []


def test_instrument_errors_come_back_with_the_instrument_message():
    with MockScpiServer("smb100a") as server:
        rf = ScpiRfSource(server.resource_name, "smb100a", RfLimits(1e9, 8e9, 10.0), TIMEOUT_S)
        with pytest.raises(InstrumentReplyError, match=r"rejected 'SOUR:FREQ 7000000000.000': -222, Data out of"):
            rf.set_frequency_hz(7e9)  # inside the configured limits, outside the SMB100A's 6 GHz
        rf.close()


def test_wrong_dialect_is_a_config_error():
    with MockScpiServer("sg384") as server:
        with pytest.raises(ConfigError, match="identifies as 'Stanford Research Systems,SG384"):
            ScpiRfSource(server.resource_name, "smb100a", timeout_s=TIMEOUT_S)
        assert server.generator.output_on is False


def test_unreachable_generator_is_a_disconnect_error():
    with MockScpiServer("smb100a") as server:
        port = server.port
    with pytest.raises(InstrumentDisconnectedError, match="rf.resource|connection"):
        ScpiRfSource(f"TCPIP::127.0.0.1::{port}::SOCKET", "smb100a", timeout_s=TIMEOUT_S)


@pytest.mark.parametrize("faults, error, max_s", [
    (RfFaults(timeout_after_n_commands=1), InstrumentTimeoutError, TIMEOUT_S + 0.3),
    (RfFaults(garbage_reply_after_n_commands=1), InstrumentReplyError, 0.2),
    (RfFaults(disconnect_after_n_commands=1), InstrumentDisconnectedError, TIMEOUT_S + 0.3),
])
def test_injected_faults_become_typed_errors_and_output_goes_off(faults, error, max_s):
    with MockScpiServer("smb100a") as server:
        rf = ScpiRfSource(server.resource_name, "smb100a", timeout_s=TIMEOUT_S)
        rf.set_frequency_hz(2.87e9)
        rf.set_output(True)
        server.arm_faults(faults)
        start = time.monotonic()
        with pytest.raises(error):
            rf.frequency_hz()
        assert time.monotonic() - start < max_s  # nothing hangs longer than its timeout
        assert server.generator.output_on is True
        rf.ensure_output_off()  # reconnects after the disconnect
        assert server.generator.output_on is False and server.generator.state.rf_on is False
        assert rf.frequency_hz() == 2.87e9  # and the driver is usable again
        rf.close()
