"""A setting and its error-queue query as one compound message (``OUTP 1;:SYST:ERR?``): what goes on the wire
for each dialect, that the contract holds either way (a setter returns once the instrument accepted the setting;
a rejected one raises with the instrument's messages), the switch for firmware that refuses them, the mock's
fault counts per command, and replies read in one call once they have arrived."""

import dataclasses
import time

import pytest

from instruments.bounded_read import read_reply
from instruments.config import config_from_dict
from instruments.errors import ConfigError, InstrumentReplyError, InstrumentTimeoutError
from instruments.factory import open_rf
from instruments.faults import RfFaults
from instruments.rf.dialects import DIALECTS
from instruments.rf.interface import RfLimits
from instruments.rf.mock_server import MockScpiServer
from instruments.rf.scpi_source import ScpiRfSource

TIMEOUT_S = 0.2
LIMITS = RfLimits(1e9, 5e9, 30.0)  # wider than the instruments' own ranges, to reach their error queues
SETTING = {"smb100a": "OUTP 1", "mxg": ":OUTP 1", "sg384": "ENBR 1"}
ERROR_QUERY = {"smb100a": ":SYST:ERR?", "mxg": ":SYST:ERR?", "sg384": "LERR?"}


def _record_lines(server):
    """The program messages the mock instrument receives, in order."""
    lines, execute = [], server.generator.execute_line

    def recording(line):
        lines.append(line)
        return execute(line)
    server.generator.execute_line = recording
    return lines


@pytest.mark.parametrize("dialect", ["smb100a", "mxg", "sg384"])
@pytest.mark.parametrize("compound", [True, False])
def test_each_setting_is_one_message_or_two(dialect, compound):
    with MockScpiServer(dialect) as server, \
            ScpiRfSource(server.resource_name, dialect, LIMITS, TIMEOUT_S, compound_messages=compound) as rf:
        lines = _record_lines(server)
        rf.set_output(True)
        assert server.generator.output_on is True  # accepted before the setter returned
        expected = [f"{SETTING[dialect]};{ERROR_QUERY[dialect]}"] if compound else \
            [SETTING[dialect], ERROR_QUERY[dialect]]
        assert lines == expected


@pytest.mark.parametrize("compound", [True, False])
def test_every_queued_error_is_reported_with_the_setting(compound):
    with MockScpiServer("smb100a") as server, \
            ScpiRfSource(server.resource_name, "smb100a", LIMITS, TIMEOUT_S, compound_messages=compound) as rf:
        rf.set_power_dbm(-5.0)
        server.generator.execute_line("BOGUS 1")  # an older error waits in the queue
        with pytest.raises(InstrumentReplyError, match=r"rejected 'SOUR:POW 25.00': -113, Undefined header; "
                                                       r"-222, Data out of range$"):
            rf.set_power_dbm(25.0)  # above the SMB100A's +18 dBm
        assert server.generator.power_dbm == -5.0 and server.generator.errors == []
        rf.set_power_dbm(-1.0)  # the queue was emptied: the next setting is clean
        assert rf.power_dbm() == -1.0


def test_a_dialect_without_compound_messages_keeps_two():
    dialect = dataclasses.replace(DIALECTS["sg384"], compound_messages=False)
    with MockScpiServer("sg384") as server, ScpiRfSource(server.resource_name, dialect, LIMITS, TIMEOUT_S) as rf:
        assert rf.compound_messages is False
        lines = _record_lines(server)
        rf.set_frequency_hz(2.5e9)
        assert lines == ["FREQ 2500000000.000", "LERR?"]


def test_firmware_that_refuses_compound_messages_names_the_switch():
    with MockScpiServer("mxg") as server:
        execute = server.generator.execute_line
        server.generator.execute_line = lambda line: None if ";" in line else execute(line)  # drops them
        start = time.monotonic()
        with pytest.raises(InstrumentTimeoutError, match="set rf.compound_messages = false"):
            ScpiRfSource(server.resource_name, "mxg", LIMITS, TIMEOUT_S)
        assert time.monotonic() - start < TIMEOUT_S + 0.5
        with ScpiRfSource(server.resource_name, "mxg", LIMITS, TIMEOUT_S, compound_messages=False) as rf:
            rf.set_output(True)
            assert rf.output_on() is True


def test_a_timeout_after_compound_messages_were_answered_does_not_blame_them():
    with MockScpiServer("smb100a") as server, ScpiRfSource(server.resource_name, "smb100a", LIMITS, TIMEOUT_S) as rf:
        server.arm_faults(RfFaults(timeout_after_n_commands=1))
        with pytest.raises(InstrumentTimeoutError) as caught:
            rf.set_output(True)
        assert "did not answer 'OUTP 1;:SYST:ERR?'" in str(caught.value)
        assert "compound_messages" not in str(caught.value)  # connecting was answered: they are taken


def test_the_config_key_is_validated_and_reaches_the_driver():
    assert config_from_dict({}).rf.compound_messages is True
    with pytest.raises(ConfigError, match="rf.compound_messages = 'no' has the wrong type"):
        config_from_dict({"rf": {"compound_messages": "no"}})
    rf, server = open_rf(config_from_dict({"rf": {"compound_messages": False}}).rf)
    try:
        lines = _record_lines(server)
        rf.set_output(False)
        assert rf.compound_messages is False and lines == ["OUTP 0", ":SYST:ERR?"]
    finally:
        rf.close()
        server.stop()


@pytest.mark.parametrize("compound", [True, False])
def test_fault_counts_are_commands_whatever_the_messages(compound):
    # the 3rd command after arming is the query after one checked setting (2 commands), in either mode
    with MockScpiServer("smb100a") as server, \
            ScpiRfSource(server.resource_name, "smb100a", LIMITS, TIMEOUT_S, compound_messages=compound) as rf:
        server.arm_faults(RfFaults(timeout_after_n_commands=3))
        rf.set_frequency_hz(2.87e9)
        with pytest.raises(InstrumentTimeoutError):
            rf.frequency_hz()
        rf.ensure_output_off()
        assert rf.frequency_hz() == 2.87e9


def test_a_reply_that_has_arrived_is_read_in_one_call_and_no_further(monkeypatch):
    with MockScpiServer("smb100a") as server, ScpiRfSource(server.resource_name, "smb100a", LIMITS, 1.0) as rf:
        resource = rf._resource
        calls = []
        read = resource.visalib.read
        monkeypatch.setattr(resource.visalib, "read", lambda session, count: calls.append(count) or
                            read(session, count))
        for _ in range(20):
            rf.set_output(True)
        assert len(calls) == 20  # one per reply (it was one per byte: 13 for '0,"No error"')
        resource.write("SOUR:FREQ?")  # two replies back to back: the first read stops at its end mark
        resource.write("OUTP?")
        time.sleep(0.05)
        assert read_reply(resource, 1.0, "test", "\n") == "1000000000"
        assert read_reply(resource, 1.0, "test", "\n") == "1"
