"""The microwave (RF) source interface every RF driver implements, and the configured limits.

    class RfSource(Protocol):
        identity() -> str                  the instrument's *IDN? reply
        set_frequency_hz(freq_hz: float)   CW frequency in Hz; limits checked before sending
        frequency_hz() -> float            CW frequency in Hz, read back from the instrument
        set_power_dbm(power_dbm: float)    output level in dBm; limit checked before sending
        power_dbm() -> float               output level in dBm, read back from the instrument
        set_output(on: bool)               RF output on/off
        output_on() -> bool                RF output state, read back from the instrument
        ensure_output_off()                switch the output off, trying hard (reconnects once); for safety paths
        close()                            ensure_output_off(), then disconnect (raises if it failed); idempotent
        __enter__/__exit__                 ``with`` closes on every exit path

Every setter returns only after the instrument has accepted the setting (the driver reads the instrument's
error queue after each one), so a camera frame started afterwards sees the new state. Failures raise the typed
errors of ``instruments.errors``: ``InstrumentLimitError`` (nothing sent), ``InstrumentTimeoutError``,
``InstrumentDisconnectedError``, ``InstrumentReplyError`` (garbage, or the instrument's own error message).
"""

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..errors import InstrumentLimitError


@runtime_checkable
class RfSource(Protocol):
    def identity(self) -> str: ...
    def set_frequency_hz(self, freq_hz: float) -> None: ...
    def frequency_hz(self) -> float: ...
    def set_power_dbm(self, power_dbm: float) -> None: ...
    def power_dbm(self) -> float: ...
    def set_output(self, on: bool) -> None: ...
    def output_on(self) -> bool: ...
    def ensure_output_off(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self): ...
    def __exit__(self, *exc): ...


@dataclass(frozen=True)
class RfLimits:
    """What the driver lets through (config ``[rf]``): frequencies in [min, max] Hz, power <= max dBm."""

    min_frequency_hz: float = 1e9
    max_frequency_hz: float = 4e9
    max_power_dbm: float = 10.0

    @classmethod
    def from_config(cls, rf_config):
        return cls(rf_config.min_frequency_hz, rf_config.max_frequency_hz, rf_config.max_power_dbm)

    def check_frequency_hz(self, freq_hz):
        value = float(freq_hz)
        if not math.isfinite(value):
            raise InstrumentLimitError(f"RF frequency {freq_hz!r} Hz is not a finite number; nothing was sent.")
        if value < self.min_frequency_hz:
            raise InstrumentLimitError(
                f"RF frequency {value / 1e9:.6f} GHz is below the configured limit of "
                f"{self.min_frequency_hz / 1e9:.6f} GHz (config: rf.min_frequency_hz); nothing was sent.")
        if value > self.max_frequency_hz:
            raise InstrumentLimitError(
                f"RF frequency {value / 1e9:.6f} GHz is above the configured limit of "
                f"{self.max_frequency_hz / 1e9:.6f} GHz (config: rf.max_frequency_hz); nothing was sent.")
        return value

    def check_power_dbm(self, power_dbm):
        value = float(power_dbm)
        if not math.isfinite(value):
            raise InstrumentLimitError(f"RF power {power_dbm!r} dBm is not a finite number; nothing was sent.")
        if value > self.max_power_dbm:
            raise InstrumentLimitError(
                f"RF power {value:g} dBm is above the configured limit of {self.max_power_dbm:g} dBm "
                f"(config: rf.max_power_dbm); nothing was sent.")
        return value
