"""``InstrumentBackend`` over the instrument layer: ``instruments.factory.open_instruments(config, microscope)``.

The instrument layer opens camera, RF source and shutter together and returns ``Instruments`` (``.camera``,
``.rf``, ``.shutter``, ``.microscope``), a context manager whose exit (or ``close()``) leaves the RF off, the
shutter closed and the camera stopped. The app's panel connects instruments one by one, so this adapter opens
the set on the first connect and closes it when the last one disconnects (or on ``close()``).
"""

import threading

from app.core.instruments import INSTRUMENT_NAMES, InstrumentLimits
from instruments.config import load_config
from instruments.factory import build_microscope, open_instruments


def make_backend(config_path=None, microscope=None):
    """The instrument layer for a run of the app: the configuration at ``config_path`` (None: the defaults, all
    mocks on a virtual microscope built from its ``[microscope]`` table, or on ``microscope`` if given). An
    invalid configuration raises ``instruments.errors.ConfigError``."""
    return FactoryBackend(load_config(config_path), microscope)


def identity_of(device):
    """What the instrument says it is: the RF's ``*IDN?`` (``identity()``), a shutter's ``identity``, a pylablib
    camera's device info, else its repr."""
    value = getattr(device, "identity", None)
    if callable(value):
        value = value()
    if not value and hasattr(device, "get_device_info"):
        try:
            value = ", ".join(str(v) for v in device.get_device_info() if v)
        except Exception:  # noqa: BLE001 - an identity is informative only; never fail a connection over it
            value = None
    return str(value) if value else repr(device)


class FactoryBackend:
    def __init__(self, config, microscope=None):
        self.config = config
        mock = {name: getattr(config, name).driver == "mock" for name in INSTRUMENT_NAMES}
        if microscope is None and any(mock.values()):
            microscope = build_microscope(config.microscope)
        self.microscope = microscope
        self._mock = mock
        self.limits = InstrumentLimits(min_frequency_hz=config.rf.min_frequency_hz,
                                       max_frequency_hz=config.rf.max_frequency_hz,
                                       max_power_dbm=config.rf.max_power_dbm)
        self.calibration = config.microscope.calibration()
        if microscope is not None:
            self.pixel_size_m, self.frame_shape = microscope.sample.pixel_size_m, microscope.shape
        else:
            self.pixel_size_m = self.calibration.pixel_size_m  # real hardware: the [microscope] table's
            self.frame_shape = (config.microscope.n_rows, config.microscope.n_cols)
        kinds = {"mock" if m else "real" for m in mock.values()}
        self.description = ("virtual microscope (mock instruments)" if kinds == {"mock"} else
                            "instruments from the configuration" + (" (some mock)" if len(kinds) == 2 else ""))
        self._opened = None
        self._connected = set()
        self._lock = threading.Lock()

    def is_mock(self, name):
        return self._mock[name]

    def connect(self, name):
        if name not in INSTRUMENT_NAMES:
            raise KeyError(f"no instrument called {name!r}; the instruments are {INSTRUMENT_NAMES}.")
        with self._lock:
            if self._opened is None:
                self._opened = open_instruments(self.config, self.microscope)
            self._connected.add(name)
            return identity_of(getattr(self._opened, name))

    def instrument(self, name):
        with self._lock:
            if name not in self._connected:
                raise RuntimeError(f"the {name} is not connected; connect it in the Instruments panel first.")
            return getattr(self._opened, name)

    def disconnect(self, name):
        with self._lock:
            if name not in self._connected:
                return
            if name == "rf":
                self._opened.rf.set_output(False)
            elif name == "shutter":
                self._opened.shutter.set_open(False)
            self._connected.discard(name)
            if not self._connected:
                self._close_all()

    def _close_all(self):
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.close()  # RF off, shutter closed, camera stopped; raises what went wrong

    def close(self):
        with self._lock:
            self._connected.clear()
            self._close_all()
