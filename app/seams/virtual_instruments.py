"""Mock instruments on the virtual microscope, in process, and the backend that serves them to the app.

They implement the sweep engine's instrument protocol (rf.set_frequency_hz / set_power_dbm / set_output,
shutter.set_open, camera.set_exposure / grab(n, frame_timeout=) / supports_rf_gating / set_rf_gating) and check
the same limits a real driver would. They stand in until the instrument layer (issue 3) provides its mocks through
``instruments.factory.open_instruments``; then ``make_backend`` uses ``FactoryBackend`` for both.
"""

import threading
import time

import numpy as np

from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells

from .instruments import INSTRUMENT_NAMES, InstrumentLimits


class VirtualRF:
    identity = "nvscope,virtual RF generator,0,in-process mock"

    def __init__(self, microscope, limits):
        self.microscope, self.limits = microscope, limits

    def _write(self, **state):
        with self.microscope.state.lock:
            for key, value in state.items():
                setattr(self.microscope.state, key, value)

    def set_frequency_hz(self, freq_hz):
        lo, hi = self.limits.min_frequency_hz, self.limits.max_frequency_hz
        if not lo <= freq_hz <= hi:
            raise ValueError(f"RF frequency {freq_hz / 1e9:.6f} GHz is outside {lo / 1e9:g}-{hi / 1e9:g} GHz "
                             "(config: rf.min_frequency_hz, rf.max_frequency_hz).")
        self._write(rf_frequency_hz=float(freq_hz))

    def set_power_dbm(self, power_dbm):
        if power_dbm > self.limits.max_power_dbm:
            raise ValueError(f"RF power {power_dbm} dBm is above the configured limit of "
                             f"{self.limits.max_power_dbm} dBm (config: rf.max_power_dbm).")
        self._write(rf_power_dbm=float(power_dbm))

    def set_output(self, on):
        self._write(rf_on=bool(on))


class VirtualShutter:
    identity = "nvscope,virtual laser shutter,0,in-process mock"

    def __init__(self, microscope):
        self.microscope = microscope

    def set_open(self, is_open):
        with self.microscope.state.lock:
            self.microscope.state.shutter_open = bool(is_open)


class VirtualCamera:
    identity = "nvscope,virtual EMCCD,0,in-process mock"

    def __init__(self, microscope, frame_period_s=0.0):
        self.microscope, self.exposure_s, self.alternate, self.frames = microscope, 1e-3, False, 0
        self.frame_period_s = frame_period_s
        """A real camera delivers a frame every max(exposure, readout); 0 renders frames as fast as the CPU can."""

    def set_exposure(self, exposure_s):
        self.exposure_s = float(exposure_s)

    supports_rf_gating = True

    def set_rf_gating(self, on):
        """The camera's trigger output gates an RF switch: odd frames are taken with the microwaves off."""
        self.alternate = bool(on)

    def grab(self, n, frame_timeout=None):
        frames = []
        t_next = time.perf_counter()
        for _ in range(int(n)):
            t_next += max(self.frame_period_s, self.exposure_s) if self.frame_period_s else 0.0
            freq_hz, power_dbm, rf_on, shutter_open = self.microscope.state.snapshot()
            if self.alternate and self.frames % 2 == 1:
                rf_on = False
            frames.append(self.microscope.render_frame(freq_hz, rf_on, power_dbm, shutter_open, self.exposure_s))
            self.frames += 1
            if self.frame_period_s:
                time.sleep(max(0.0, t_next - time.perf_counter()))
        return np.stack(frames)


def default_microscope(n_rows=256, n_cols=256, n_cells=6, seed=1):
    """The mock sample the app shows when no hardware is configured: a few labelled cells on a 256 x 256 field."""
    cells = random_cells(n_cells, seed=seed, n_rows=n_rows, n_cols=n_cols)
    return VirtualMicroscope(VirtualSample(n_rows=n_rows, n_cols=n_cols, cells=cells), seed=seed)


class VirtualBackend:
    """``InstrumentBackend`` on the virtual microscope. ``factories`` maps an instrument name to
    ``f(microscope, limits) -> instrument`` (tests inject faulty instruments that way)."""

    def __init__(self, microscope=None, limits=None, factories=None):
        self.microscope = microscope if microscope is not None else default_microscope()
        self.limits = limits if limits is not None else InstrumentLimits()
        self.description = "virtual microscope (mock instruments)"
        self.pixel_size_m = self.microscope.sample.pixel_size_m
        self.frame_shape = self.microscope.shape
        self._factories = {
            "camera": lambda vm, lim: VirtualCamera(vm),
            "rf": VirtualRF,
            "shutter": lambda vm, lim: VirtualShutter(vm),
            **(factories or {}),
        }
        self._open = {}
        self._lock = threading.Lock()

    def is_mock(self, name):
        return True

    def connect(self, name):
        if name not in INSTRUMENT_NAMES:
            raise KeyError(f"no instrument called {name!r}; the instruments are {INSTRUMENT_NAMES}.")
        with self._lock:
            if name not in self._open:
                self._open[name] = self._factories[name](self.microscope, self.limits)
            return getattr(self._open[name], "identity", f"mock {name} on the virtual microscope")

    def disconnect(self, name):
        with self._lock:
            device = self._open.pop(name, None)
        if name == "rf" and device is not None:
            device.set_output(False)
        if name == "shutter" and device is not None:
            device.set_open(False)

    def instrument(self, name):
        with self._lock:
            if name not in self._open:
                raise RuntimeError(f"the {name} is not connected; connect it in the Instruments panel first.")
            return self._open[name]

    def close(self):
        # the microscope's state is what the mocks drive: make it safe even if a mock object misbehaves
        with self.microscope.state.lock:
            self.microscope.state.rf_on = False
            self.microscope.state.shutter_open = False
        for name in INSTRUMENT_NAMES:
            self.disconnect(name)
