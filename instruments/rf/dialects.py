"""Command dialects of the supported microwave generators: the strings the driver sends and how it reads the
instrument's error queue. One ``RfDialect`` per model family; ``DIALECTS`` maps the config name to it.

- ``smb100a``  Rohde & Schwarz SMB100A: ``SOUR:FREQ``, ``SOUR:POW``, ``OUTP``, ``:SYST:ERR?`` -> ``0,"No error"``
- ``mxg``      Keysight MXG N5181B/N5182B (and EXG N517xB): ``:FREQ``, ``:POW``, ``:OUTP``, ``:SYST:ERR?``
              -> ``+0,"No error"``
- ``sg384``    Stanford Research SG384 (and SG382/SG386): ``FREQ``, ``AMPR`` (type-N output, dBm), ``ENBR``
              (type-N output on/off), ``LERR?`` -> an integer error code, 0 = no error

Frequencies are sent in Hz with 1 mHz resolution, powers in dBm with 0.01 dB resolution, no unit suffix (the
default units of all three), so the strings are the same for pyvisa-sim, the mock and the instruments.

Compound messages: a setting and the error query that checks it go out as ONE program message,
``<setting>;<error query>`` (``OUTP 1;:SYST:ERR?``, ``:OUTP 1;:SYST:ERR?``, ``ENBR 1;LERR?``): the instrument
executes the units in order and answers the one query, so a checked setting is one round trip, not two. The
SCPI error queries are written from the root (leading ``:``) so that they mean the same after any setting
(``SOUR:FREQ 1e9;SYST:ERR?`` would be ``SOUR:SYST:ERR?``); the SG384 has no command tree and takes ``;``
between commands as its manual says. ``compound_messages`` is False for a dialect whose instruments cannot
take them; the config key ``rf.compound_messages = false`` switches them off for any dialect.
"""

import re
from dataclasses import dataclass

from ..errors import InstrumentReplyError

SG384_ERRORS = {
    0: "No Error", 10: "Illegal Value", 11: "Illegal Mode", 12: "Not Allowed", 13: "Recall Failed",
    14: "No Clock Option", 15: "No RF Doubler Option", 16: "No IQ Option", 17: "Failed Self Test",
    110: "Illegal Command", 111: "Undefined Command", 112: "Illegal Query", 113: "Illegal Set",
    114: "Null Parameter", 115: "Extra Parameters", 116: "Missing Parameters", 117: "Parameter Overflow",
    118: "Invalid Floating Point Number", 120: "Invalid Integer", 121: "Integer Overflow",
    122: "Invalid Hexadecimal", 126: "Syntax Error", 127: "Illegal Units", 128: "Missing Units",
}
"""SG384 error codes (``LERR?``), from the error list of the SG380-series manual."""

_SCPI_ERROR = re.compile(r'^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$')


def parse_scpi_error(reply):
    """``'-222,"Data out of range"'`` -> ``(-222, "Data out of range")``; garbage -> ``InstrumentReplyError``."""
    match = _SCPI_ERROR.match(reply)
    if not match:
        raise InstrumentReplyError(f"the error-queue reply {reply!r} is not of the form <code>,\"<message>\".")
    return int(match.group(1)), match.group(2)


def parse_sg384_error(reply):
    """``'10'`` -> ``(10, "Illegal Value")``; garbage -> ``InstrumentReplyError``."""
    text = reply.strip()
    if not re.fullmatch(r"\d+", text):
        raise InstrumentReplyError(f"the LERR? reply {reply!r} is not an integer error code.")
    code = int(text)
    return code, SG384_ERRORS.get(code, f"SG384 error code {code}")


@dataclass(frozen=True)
class RfDialect:
    """Command strings of one generator family. ``set_*`` strings are ``str.format`` templates."""

    name: str
    models: tuple
    """Model names one of which must appear in the ``*IDN?`` reply (case-insensitive)."""
    set_frequency: str
    query_frequency: str
    set_power: str
    query_power: str
    set_output: str
    query_output: str
    query_error: str
    parse_error: object
    clear_status: str = "*CLS"
    identify: str = "*IDN?"
    compound_messages: bool = True
    """The instruments execute ``<setting>;<query_error>`` as one message (see the module docstring)."""

    def frequency_command(self, freq_hz):
        return self.set_frequency.format(freq_hz=freq_hz)

    def power_command(self, power_dbm):
        return self.set_power.format(power_dbm=power_dbm)

    def output_command(self, on):
        return self.set_output.format(state=1 if on else 0)

    def checked_setting(self, command):
        """``command`` and the error query in one program message."""
        return f"{command};{self.query_error}"

    def identity_matches(self, idn):
        upper = idn.upper()
        return any(model in upper for model in self.models)


SMB100A = RfDialect(
    name="smb100a", models=("SMB100A", "SMB100B"),
    set_frequency="SOUR:FREQ {freq_hz:.3f}", query_frequency="SOUR:FREQ?",
    set_power="SOUR:POW {power_dbm:.2f}", query_power="SOUR:POW?",
    set_output="OUTP {state:d}", query_output="OUTP?",
    query_error=":SYST:ERR?", parse_error=parse_scpi_error,
)

MXG = RfDialect(
    name="mxg", models=("N5181", "N5182", "N5183", "N5171", "N5172", "N5173"),
    set_frequency=":FREQ {freq_hz:.3f}", query_frequency=":FREQ?",
    set_power=":POW {power_dbm:.2f}", query_power=":POW?",
    set_output=":OUTP {state:d}", query_output=":OUTP?",
    query_error=":SYST:ERR?", parse_error=parse_scpi_error,
)

SG384 = RfDialect(
    name="sg384", models=("SG384", "SG382", "SG386"),
    set_frequency="FREQ {freq_hz:.3f}", query_frequency="FREQ?",
    set_power="AMPR {power_dbm:.2f}", query_power="AMPR?",
    set_output="ENBR {state:d}", query_output="ENBR?",
    query_error="LERR?", parse_error=parse_sg384_error,
)

DIALECTS = {d.name: d for d in (SMB100A, MXG, SG384)}
