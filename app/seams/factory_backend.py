"""Adapter from the instrument layer of issue 3 to ``InstrumentBackend``.

The instrument layer opens all three instruments together: ``instruments.factory.open_instruments(config,
microscope)`` returns an object with ``.camera``, ``.rf``, ``.shutter`` (and identity strings), which is a
context manager that leaves the RF off and the shutter closed on exit. The app's panel connects instruments
one by one, so this adapter opens the set on the first connect and closes it when the last one disconnects.
Names it relies on (check them when issue 3 lands): ``instruments.config.load_config(path)``,
``instruments.factory.open_instruments``, the opened set's ``identity(name)`` or ``<name>_identity`` or the
driver's ``identity`` attribute, ``is_mock(name)`` or ``<name>_is_mock``, and ``config.rf.*`` limits.
"""

import threading

from .instruments import INSTRUMENT_NAMES, BackendUnavailable, InstrumentLimits

_NOT_YET = ("the real instrument layer (instruments.factory, issue 3) is not in this build of nvscope; start "
            "nvscope without --config to use the virtual microscope with mock instruments.")


class FactoryBackend:
    def __init__(self, config, microscope=None):
        self.config = config
        self.microscope = microscope
        rf = getattr(config, "rf", None)
        self.limits = InstrumentLimits(
            min_frequency_hz=getattr(rf, "min_frequency_hz", InstrumentLimits.min_frequency_hz),
            max_frequency_hz=getattr(rf, "max_frequency_hz", InstrumentLimits.max_frequency_hz),
            max_power_dbm=getattr(rf, "max_power_dbm", InstrumentLimits.max_power_dbm),
        )
        scope = getattr(config, "microscope", None)
        self.pixel_size_m = getattr(scope, "pixel_size_m", 1.3e-6)
        self.frame_shape = (getattr(scope, "n_rows", 256), getattr(scope, "n_cols", 256))
        self.description = "instruments from the configuration"
        self._opened = None
        self._context = None
        self._connected = set()
        self._lock = threading.Lock()

    @classmethod
    def from_config_path(cls, config_path, microscope=None):
        try:
            from instruments.config import load_config
            from instruments.factory import open_instruments  # noqa: F401 - checked here, used on connect
        except ImportError as exc:
            raise BackendUnavailable(f"cannot use the configuration {config_path}: {_NOT_YET}") from exc
        return cls(load_config(config_path), microscope)

    def _ensure_open(self):
        if self._opened is None:
            from instruments.factory import open_instruments

            opened = open_instruments(self.config, self.microscope)
            self._context = opened if hasattr(opened, "__exit__") else None
            self._opened = opened.__enter__() if self._context is not None else opened
        return self._opened

    def _ask(self, name, question, default):
        opened = self._opened
        method = getattr(opened, question, None)
        if callable(method):
            return method(name)
        value = getattr(opened, f"{name}_{question}", None)
        if value is None:
            value = getattr(getattr(opened, name, None), question, default)
        return value

    def is_mock(self, name):
        with self._lock:
            if self._opened is None:
                return "mock" in str(getattr(getattr(self.config, name, None), "driver", "mock"))
            return bool(self._ask(name, "is_mock", False))

    def connect(self, name):
        if name not in INSTRUMENT_NAMES:
            raise KeyError(f"no instrument called {name!r}; the instruments are {INSTRUMENT_NAMES}.")
        with self._lock:
            self._ensure_open()
            self._connected.add(name)
            return str(self._ask(name, "identity", f"{name} (identity not reported)"))

    def instrument(self, name):
        with self._lock:
            if name not in self._connected:
                raise RuntimeError(f"the {name} is not connected; connect it in the Instruments panel first.")
            return getattr(self._opened, name)

    def disconnect(self, name):
        with self._lock:
            if name in self._connected and name == "rf":
                self._opened.rf.set_output(False)
            if name in self._connected and name == "shutter":
                self._opened.shutter.set_open(False)
            self._connected.discard(name)
            if not self._connected:
                self._close_all()

    def _close_all(self):
        context, self._context, self._opened = self._context, None, None
        if context is not None:
            context.__exit__(None, None, None)

    def close(self):
        with self._lock:
            self._connected.clear()
            self._close_all()
