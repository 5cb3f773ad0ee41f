"""The SCPI driver's exact command strings for each dialect, against the pyvisa-sim instruments in
resources/instruments_sim.yaml, with each setting and its error query sent as one compound message (the
default) and as two messages (rf.compound_messages = false)."""


import pytest

from instruments.errors import ConfigError, InstrumentLimitError, InstrumentReplyError
from instruments.rf.dialects import DIALECTS, parse_scpi_error, parse_sg384_error
from instruments.rf.interface import RfLimits
from instruments.rf.scpi_source import ScpiRfSource

LIMITS = RfLimits(1e9, 5e9, 25.0)  # wider than some instruments allow, to reach their own error queues


def _open(sim_rm, dialect, compound=True):
    return ScpiRfSource(f"TCPIP::{dialect}.sim::5025::SOCKET", dialect, LIMITS, 0.2, sim_rm,
                        compound_messages=compound)


@pytest.mark.parametrize("compound", [True, False])
@pytest.mark.parametrize("dialect, model", [("smb100a", "SMB100A"), ("mxg", "N5182B"), ("sg384", "SG384")])
def test_every_command_of_each_dialect(sim_rm, dialect, model, compound):
    rf = _open(sim_rm, dialect, compound)
    assert model in rf.identity()
    assert rf.output_on() is False
    rf.set_frequency_hz(2.8712345e9)
    rf.set_power_dbm(-3.5)
    rf.set_output(True)
    assert rf.frequency_hz() == pytest.approx(2.8712345e9, abs=1e-3)
    assert rf.power_dbm() == -3.5
    assert rf.output_on() is True
    rf.close()
    assert _open(sim_rm, dialect).output_on() is False  # close() switched it off


@pytest.mark.parametrize("compound", [True, False])
@pytest.mark.parametrize("dialect, message", [("smb100a", "-222, Data out of range"),
                                              ("mxg", "-222, Data out of range"), ("sg384", "10, Illegal Value")])
def test_instrument_range_errors_are_read_from_the_error_queue(sim_rm, dialect, message, compound):
    rf = _open(sim_rm, dialect, compound)
    with pytest.raises(InstrumentReplyError, match=message):
        rf.set_power_dbm(24.0)  # inside LIMITS, above each instrument's maximum
    rf.set_power_dbm(-1.0)  # the queue was emptied: the next setting is clean
    rf.close()


def test_limit_error_sends_nothing(sim_rm):
    rf = _open(sim_rm, "smb100a")
    rf.set_frequency_hz(2.0e9)
    with pytest.raises(InstrumentLimitError):
        rf.set_frequency_hz(5.5e9)
    assert rf.frequency_hz() == 2.0e9
    rf.close()


def test_dialect_mismatch_is_refused(sim_rm):
    with pytest.raises(ConfigError, match="set rf.dialect"):
        ScpiRfSource("TCPIP::mxg.sim::5025::SOCKET", "sg384", LIMITS, 0.2, sim_rm)
    with pytest.raises(ConfigError, match="rf.dialect = 'smb' is not known"):
        ScpiRfSource("TCPIP::mxg.sim::5025::SOCKET", "smb", LIMITS, 0.2, sim_rm)


def test_command_strings():
    assert DIALECTS["smb100a"].frequency_command(2.87e9) == "SOUR:FREQ 2870000000.000"
    assert DIALECTS["mxg"].power_command(-10) == ":POW -10.00"
    assert DIALECTS["sg384"].output_command(True) == "ENBR 1"
    assert DIALECTS["sg384"].power_command(3.25) == "AMPR 3.25"
    # one program message: the setting, then the error query from the root (SCPI) or as is (SG384: no tree)
    assert DIALECTS["smb100a"].checked_setting("SOUR:FREQ 2.5e9") == "SOUR:FREQ 2.5e9;:SYST:ERR?"
    assert DIALECTS["mxg"].checked_setting(":OUTP 1") == ":OUTP 1;:SYST:ERR?"
    assert DIALECTS["sg384"].checked_setting("ENBR 0") == "ENBR 0;LERR?"


def test_error_reply_parsing():
    assert parse_scpi_error('+0,"No error"') == (0, "No error")
    assert parse_scpi_error('-113,"Undefined header"') == (-113, "Undefined header")
    assert parse_sg384_error("111") == (111, "Undefined Command")
    for garbage in ("#@!", ""):
        with pytest.raises(InstrumentReplyError):
            parse_scpi_error(garbage)
        with pytest.raises(InstrumentReplyError):
            parse_sg384_error(garbage)
