"""The instrument configuration: ``resources/default_config.toml`` overridden key by key by a user TOML file.

``load_config(user_path)`` returns a validated, typed ``InstrumentConfig``. Any unknown table or key, wrong
type or out-of-range value raises ``ConfigError`` naming the key (``rf.max_power_dbm``), the value and what is
allowed. The mocks are the default: a config with no hardware keys needs no hardware.
"""

import math
import reprlib
import stat
import tomllib
from dataclasses import dataclass, fields
from importlib import resources as importlib_resources
from pathlib import Path

from .errors import ConfigError
from .faults import CameraFaults, RfFaults, ShutterFaults


@dataclass(frozen=True)
class _Spec:
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def allowed(self):
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        name = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}[self.kind]
        if self.low is not None and self.high is not None:
            return f"{name} in [{self.low:g}, {self.high:g}]"
        return name


@dataclass(frozen=True)
class CameraConfig:
    driver: str
    name: str
    exposure_s: float
    em_gain: float
    timeout_s: float
    readout_s: float


@dataclass(frozen=True)
class RfConfig:
    driver: str
    dialect: str
    resource: str
    min_frequency_hz: float
    max_frequency_hz: float
    max_power_dbm: float
    timeout_s: float
    compound_messages: bool


@dataclass(frozen=True)
class ShutterConfig:
    driver: str
    resource: str
    serial_number: str
    baud_rate: int
    timeout_s: float
    settle_s: float


@dataclass(frozen=True)
class MicroscopeConfig:
    n_cells: int
    seed: int
    n_rows: int
    n_cols: int
    pixel_size_um: float
    binning: int
    nv_polar_deg: float
    nv_azimuth_deg: float
    nv_sense: int
    flip_x: bool
    flip_y: bool
    rotation_deg: int

    def calibration(self):
        """The ``analysis.calibration.Calibration`` these keys describe (what sessions store)."""
        from analysis.calibration import Calibration

        return Calibration.from_config(self)


@dataclass(frozen=True)
class FaultConfig:
    rf_timeout_after_n_commands: int
    rf_disconnect_after_n_commands: int
    rf_garbage_reply_after_n_commands: int
    camera_drop_frame_every_n: int
    camera_late_frame_every_n: int
    camera_late_frame_s: float
    camera_disconnect_after_n_frames: int
    shutter_timeout_after_n_commands: int
    shutter_disconnect_after_n_commands: int

    def rf(self):
        return RfFaults(self.rf_timeout_after_n_commands, self.rf_disconnect_after_n_commands,
                        self.rf_garbage_reply_after_n_commands)

    def camera(self):
        return CameraFaults(self.camera_drop_frame_every_n, self.camera_late_frame_every_n,
                            self.camera_late_frame_s, self.camera_disconnect_after_n_frames)

    def shutter(self):
        return ShutterFaults(self.shutter_timeout_after_n_commands, self.shutter_disconnect_after_n_commands)


@dataclass(frozen=True)
class InstrumentConfig:
    camera: CameraConfig
    rf: RfConfig
    shutter: ShutterConfig
    microscope: MicroscopeConfig
    faults: FaultConfig


_TIMEOUT = _Spec(float, 0.01, 60.0)
_COUNT = _Spec(int, 0, 1_000_000)
_SCHEMA = {
    "camera": (CameraConfig, {
        "driver": _Spec(str, choices=("mock", "pvcam")),
        "name": _Spec(str),
        "exposure_s": _Spec(float, 0.0, 10.0),
        "em_gain": _Spec(float, 1.0, 1000.0),
        "timeout_s": _TIMEOUT,
        "readout_s": _Spec(float, 0.0, 1.0),
    }),
    "rf": (RfConfig, {
        "driver": _Spec(str, choices=("mock", "scpi")),
        "dialect": _Spec(str, choices=("smb100a", "mxg", "sg384")),
        "resource": _Spec(str),
        "min_frequency_hz": _Spec(float, 0.0, 100e9),
        "max_frequency_hz": _Spec(float, 0.0, 100e9),
        "max_power_dbm": _Spec(float, -150.0, 30.0),
        "timeout_s": _TIMEOUT,
        "compound_messages": _Spec(bool),
    }),
    "shutter": (ShutterConfig, {
        "driver": _Spec(str, choices=("mock", "sc10", "ksc101")),
        "resource": _Spec(str),
        "serial_number": _Spec(str),
        "baud_rate": _Spec(int, choices=(9600, 115200)),
        "timeout_s": _TIMEOUT,
        "settle_s": _Spec(float, 0.0, 5.0),
    }),
    "microscope": (MicroscopeConfig, {
        "n_cells": _Spec(int, 0, 50),
        "seed": _Spec(int, 0, 2**31 - 1),
        "n_rows": _Spec(int, 16, 2048),
        "n_cols": _Spec(int, 16, 2048),
        "pixel_size_um": _Spec(float, 0.01, 1000.0),
        "binning": _Spec(int, 1, 16),
        "nv_polar_deg": _Spec(float, 0.0, 180.0),
        "nv_azimuth_deg": _Spec(float, -360.0, 360.0),
        "nv_sense": _Spec(int, choices=(1, -1)),
        "flip_x": _Spec(bool),
        "flip_y": _Spec(bool),
        "rotation_deg": _Spec(int, choices=(0, 90, 180, 270)),
    }),
    "faults": (FaultConfig, {
        "rf_timeout_after_n_commands": _COUNT,
        "rf_disconnect_after_n_commands": _COUNT,
        "rf_garbage_reply_after_n_commands": _COUNT,
        "camera_drop_frame_every_n": _COUNT,
        "camera_late_frame_every_n": _COUNT,
        "camera_late_frame_s": _Spec(float, 0.0, 60.0),
        "camera_disconnect_after_n_frames": _COUNT,
        "shutter_timeout_after_n_commands": _COUNT,
        "shutter_disconnect_after_n_commands": _COUNT,
    }),
}


def default_config_path():
    return Path(str(importlib_resources.files("resources") / "default_config.toml"))


_MAX_CONFIG_BYTES = 1 << 20
"""A configuration is a few kB; anything beyond 1 MB is not one (and is not read into memory)."""


def _read_toml(path):
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the read forever; a folder fails obscurely
            raise ConfigError(f"configuration file {str(path)!r} is not a regular file (a folder, pipe or device); "
                              "give the path of a TOML file.")
        with path.open("rb") as f:
            data = f.read(_MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {str(path)!r} does not exist; give the path of a TOML file.") from None
    except OSError as err:
        raise ConfigError(f"configuration file {str(path)!r} cannot be read: {err}.") from None
    if len(data) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"configuration file {str(path)!r} is larger than {_MAX_CONFIG_BYTES} bytes; it is not "
                          "an nvscope configuration.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConfigError(f"configuration file {str(path)!r} is not UTF-8 text: byte {data[err.start]:#04x} at "
                          f"line {line} (offset {err.start}); save it as UTF-8.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"configuration file {str(path)!r} is not valid TOML: {err}.") from None
    except RecursionError:  # tomllib parses nested arrays/tables recursively
        raise ConfigError(f"configuration file {str(path)!r} nests arrays or tables too deeply to be a "
                          "configuration; check its brackets.") from None


def _check_value(key, value, spec):
    allowed, original = spec.allowed(), value
    ok_type = isinstance(value, spec.kind) and not (spec.kind is not bool and isinstance(value, bool))
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok_type = float(value), True
    if not ok_type:
        raise ConfigError(f"{key} = {_short(value)} has the wrong type ({type(value).__name__}); it must be {allowed}.")
    if spec.kind is float and not math.isfinite(value):
        raise ConfigError(f"{key} = {value!r} is not a finite number; it must be {allowed}.")
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{key} = {original!r} is not allowed; it must be {allowed}.")
    if spec.low is not None and not spec.low <= value <= spec.high:
        raise ConfigError(f"{key} = {original!r} is out of range; it must be {allowed}.")
    return value


def _short(value):
    """repr for messages, depth- and length-limited (a value nested 5000 deep would overflow repr())."""
    return reprlib.repr(value)


def _merge(base, override, source):
    merged = {section: dict(keys) for section, keys in base.items()}
    for section, keys in override.items():
        if section not in _SCHEMA:
            raise ConfigError(f"unknown table [{section}] in {source}; the tables are "
                              + ", ".join(f"[{s}]" for s in _SCHEMA) + ".")
        if not isinstance(keys, dict):
            raise ConfigError(f"{section} = {_short(keys)} in {source} must be a table [{section}], not a value.")
        for key, value in keys.items():
            if key not in _SCHEMA[section][1]:
                raise ConfigError(f"unknown key {section}.{key} (value {_short(value)}) in {source}; the keys of "
                                  f"[{section}] are " + ", ".join(_SCHEMA[section][1]) + ".")
            merged.setdefault(section, {})[key] = value
    return merged


def _cross_checks(cfg):
    from analysis.calibration import CalibrationError

    try:
        cfg.microscope.calibration()
    except CalibrationError as err:
        raise ConfigError(f"[microscope] calibration: {err}") from None
    rf = cfg.rf
    if rf.min_frequency_hz >= rf.max_frequency_hz:
        raise ConfigError(f"rf.min_frequency_hz = {rf.min_frequency_hz:g} must be below rf.max_frequency_hz = "
                          f"{rf.max_frequency_hz:g}.")
    if rf.driver == "scpi" and not rf.resource:
        raise ConfigError('rf.resource = "" but rf.driver = "scpi" needs a VISA resource, e.g. '
                          '"TCPIP::192.168.1.20::5025::SOCKET".')
    if cfg.shutter.driver == "sc10" and not cfg.shutter.resource:
        raise ConfigError('shutter.resource = "" but shutter.driver = "sc10" needs a VISA serial resource, e.g. '
                          '"ASRL/dev/ttyUSB0::INSTR" or "ASRL3::INSTR".')
    if cfg.shutter.driver == "ksc101" and not cfg.shutter.serial_number:
        raise ConfigError('shutter.serial_number = "" but shutter.driver = "ksc101" needs the 8-digit serial '
                          "number of the KSC101.")


def config_from_dict(user=None, source="the user configuration"):
    """Validated ``InstrumentConfig`` from the defaults overridden by ``user`` (a dict shaped like the TOML)."""
    base = _read_toml(default_config_path())
    merged = _merge(base, user or {}, source)
    sections = {}
    for section, (cls, specs) in _SCHEMA.items():
        values = merged.get(section, {})
        missing = [f.name for f in fields(cls) if f.name not in values]
        if missing:
            raise ConfigError(f"[{section}] lacks " + ", ".join(f"{section}.{m}" for m in missing)
                              + " (the default configuration is incomplete).")
        sections[section] = cls(**{k: _check_value(f"{section}.{k}", values[k], specs[k]) for k in specs})
    cfg = InstrumentConfig(**sections)
    _cross_checks(cfg)
    return cfg


def load_config(user_path=None):
    """Load the default configuration, override it with the TOML file ``user_path`` (if given), validate it.

    Raises ``ConfigError`` naming the key, the value and the allowed range for anything invalid."""
    if user_path is None:
        return config_from_dict({}, "the defaults")
    return config_from_dict(_read_toml(user_path), repr(str(user_path)))
