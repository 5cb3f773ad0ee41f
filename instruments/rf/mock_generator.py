"""The mock microwave generator: what the instrument does with a line of SCPI, without the socket.

It keeps frequency, power and output state like the real models (their ranges, reply formats and error
queues) and writes every change through to an ``InstrumentState`` (the virtual microscope's), holding its lock,
so the mock camera images whatever the "generator" is doing. ``MockScpiServer`` puts it on a TCP socket.
"""

import threading
from dataclasses import dataclass

from ..virtual_microscope import InstrumentState
from . import scpi_parser as scpi


@dataclass(frozen=True)
class MockModel:
    dialect: str
    idn: str
    min_frequency_hz: float
    max_frequency_hz: float
    min_power_dbm: float
    max_power_dbm: float


MODELS = {
    "smb100a": MockModel("smb100a", "Rohde&Schwarz,SMB100A,1406.6000k03/MOCK0001,4.20.028.58",
                         9e3, 6e9, -145.0, 18.0),
    "mxg": MockModel("mxg", "Keysight Technologies,N5182B,MOCK0001,B.01.95", 9e3, 6e9, -144.0, 19.0),
    "sg384": MockModel("sg384", "Stanford Research Systems,SG384,s/nMOCK01,ver1.06.0E", 950e3, 4.05e9,
                       -110.0, 16.5),
}

_SG384_CODE = {  # SCPI error -> the SG384's own code
    scpi.DATA_OUT_OF_RANGE[0]: 10, scpi.UNDEFINED_HEADER[0]: 111, scpi.SYNTAX_ERROR[0]: 126,
    scpi.DATA_TYPE_ERROR[0]: 118, scpi.INVALID_SUFFIX[0]: 127, scpi.MISSING_PARAMETER[0]: 116,
    scpi.PARAMETER_NOT_ALLOWED[0]: 115,
}
_ERROR_QUEUE_LENGTH = 10
_RESET_FREQUENCY_HZ = 1e9
_RESET_POWER_DBM = -30.0


class MockGenerator:
    """One simulated generator of the given ``dialect`` ("smb100a", "mxg" or "sg384")."""

    def __init__(self, dialect="smb100a", state=None):
        if dialect not in MODELS:
            raise ValueError(f"mock generator dialect {dialect!r} is unknown; use one of {sorted(MODELS)}.")
        self.model = MODELS[dialect]
        self.state = state if state is not None else InstrumentState()
        self._lock = threading.Lock()
        self._errors = []
        m = self.model
        freq, power = (m.min_frequency_hz, m.max_frequency_hz), (m.min_power_dbm, m.max_power_dbm)
        if dialect == "sg384":
            self._table = [
                (scpi.compile_header("FREQ"), self._frequency, freq),
                (scpi.compile_header("AMPR"), self._power, power),
                (scpi.compile_header("ENBR"), self._output, None),
                (scpi.compile_header("LERR"), self._error_query, None),
            ]
        else:
            self._table = [
                (scpi.compile_header("[SOURce]:FREQuency[:CW]"), self._frequency, freq),
                (scpi.compile_header("[SOURce]:FREQuency:FIXed"), self._frequency, freq),
                (scpi.compile_header("[SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]"), self._power, power),
                (scpi.compile_header("OUTPut[:STATe]"), self._output, None),
                (scpi.compile_header("SYSTem:ERRor[:NEXT]"), self._error_query, None),
            ]
        self.reset()

    # --- state -------------------------------------------------------------------------------------------
    def reset(self):
        with self._lock:
            self.frequency_hz = _RESET_FREQUENCY_HZ
            self.power_dbm = _RESET_POWER_DBM
            self.output_on = False
            self._errors.clear()
            self._publish()

    def _publish(self):
        with self.state.lock:
            self.state.rf_frequency_hz = self.frequency_hz
            self.state.rf_power_dbm = self.power_dbm
            self.state.rf_on = self.output_on

    def _push_error(self, error):
        if len(self._errors) >= _ERROR_QUEUE_LENGTH:
            self._errors[-1] = scpi.QUEUE_OVERFLOW
        else:
            self._errors.append(error)

    @property
    def errors(self):
        """The error queue, oldest first, as (code, message) pairs."""
        return list(self._errors)

    # --- one line ----------------------------------------------------------------------------------------
    def execute_line(self, line):
        """Execute one program message; return the reply line (no terminator) or None if nothing to send."""
        replies = []
        with self._lock:
            try:
                commands = scpi.split_program_message(line)
            except scpi.ScpiError as err:
                self._push_error((err.code, err.text))
                return None
            for command in commands:
                try:
                    reply = self._execute(command)
                except scpi.ScpiError as err:
                    self._push_error((err.code, err.text))
                    continue
                if reply is not None:
                    replies.append(reply)
            self._publish()
        return ";".join(replies) if replies else None

    def _execute(self, command):
        head = command.tokens[0]
        if head.startswith("*"):
            return self._common(head, command)
        for nodes, handler, limits in self._table:
            if scpi.header_matches(nodes, command.tokens):
                return handler(command, limits)
        raise scpi.ScpiError(scpi.UNDEFINED_HEADER, ":".join(command.tokens))

    def _common(self, head, command):
        if command.query and head == "*IDN":
            return self.model.idn
        if command.query and head == "*OPC":
            return "1"
        if not command.query and head == "*RST":
            self.frequency_hz, self.power_dbm, self.output_on = _RESET_FREQUENCY_HZ, _RESET_POWER_DBM, False
            return None
        if not command.query and head == "*CLS":
            self._errors.clear()
            return None
        if not command.query and head in ("*WAI", "*OPC"):
            return None
        raise scpi.ScpiError(scpi.UNDEFINED_HEADER, head)

    # --- subsystems --------------------------------------------------------------------------------------
    def _is_sg384(self):
        return self.model.dialect == "sg384"

    def _frequency(self, command, limits):
        if command.query:
            scale = 1.0
            if self._is_sg384() and command.argument:  # "FREQ? MHz" answers in MHz
                scale = scpi.FREQUENCY_UNITS.get(command.argument.strip().upper())
                if scale is None:
                    raise scpi.ScpiError(scpi.INVALID_SUFFIX, command.argument)
            return self._format_frequency(self.frequency_hz / scale)
        self.frequency_hz = scpi.parse_numeric(command.argument, scpi.FREQUENCY_UNITS, *limits)
        return None

    def _power(self, command, limits):
        if command.query:
            return self._format_power(self.power_dbm)
        self.power_dbm = scpi.parse_numeric(command.argument, scpi.POWER_UNITS, *limits)
        return None

    def _output(self, command, _limits):
        if command.query:
            return "1" if self.output_on else "0"
        self.output_on = scpi.parse_boolean(command.argument)
        return None

    def _error_query(self, command, _limits):
        if not command.query:
            raise scpi.ScpiError(scpi.UNDEFINED_HEADER, ":".join(command.tokens))
        code, text = self._errors.pop(0) if self._errors else scpi.NO_ERROR
        if self._is_sg384():
            return str(_SG384_CODE.get(code, 110) if code else 0)
        if self.model.dialect == "mxg":
            return f'{code:+d},"{text}"'
        return f'{code},"{text}"'

    def _format_frequency(self, value):
        if self.model.dialect == "mxg":
            return f"{value:+.15E}"
        if self._is_sg384():
            return f"{value:.6f}"
        return scpi.format_plain(value)

    def _format_power(self, value):
        if self.model.dialect == "mxg":
            return f"{value:+.8E}"
        if self._is_sg384():
            return f"{value:.2f}"
        return scpi.format_plain(value, 2)

