"""Build the instruments the configuration names, and keep them safe.

    config = load_config("my_lab.toml")          # or load_config() for the all-mock defaults
    with open_instruments(config) as inst:       # inst.camera, inst.rf, inst.shutter, inst.microscope
        ...                                      # any exit: RF off, shutter closed, camera stopped

Safety: ``Instruments.__exit__`` (and ``close()``) runs ``safe_state()`` on every exit path — normal end, an
exception in the block, KeyboardInterrupt (abort), a fault of one instrument — which switches the RF output off
(reconnecting once if the connection was lost), closes the shutter (retrying once) and stops the camera, each
attempted even if another failed. Errors of the shutdown are attached as notes to the exception that ended the
block, or raised (the first, with the others as notes) if the block ended normally.
"""

from dataclasses import dataclass

from .camera.mock import MockCamera
from .camera.pvcam import open_pvcam_camera
from .config import load_config
from .rf.interface import RfLimits
from .rf.mock_server import MockScpiServer
from .rf.scpi_source import ScpiRfSource
from .shutdown import signals_held
from .shutter.ksc101 import Ksc101Shutter
from .shutter.mock import MockShutter
from .shutter.sc10 import Sc10Shutter
from .virtual_microscope import VirtualMicroscope, VirtualSample, random_cells


def build_microscope(microscope_config):
    """The virtual microscope of config ``[microscope]``: ``n_cells`` random labelled cells, seeded, imaged with
    the table's calibration (pixel size with binning, NV azimuth in the image frame; the polar angle is the
    [100] diamond's, which is all the virtual microscope simulates)."""
    m = microscope_config
    cal = m.calibration()
    cells = random_cells(m.n_cells, m.seed, n_rows=m.n_rows, n_cols=m.n_cols, pixel_size_m=cal.pixel_size_m) \
        if m.n_cells else ()
    sample = VirtualSample(n_rows=m.n_rows, n_cols=m.n_cols, pixel_size_m=cal.pixel_size_m, cells=cells,
                           nv_azimuth_deg=cal.image_nv_azimuth_deg)
    return VirtualMicroscope(sample, seed=m.seed)


def open_rf(rf_config, state=None, faults=None, resource_manager=None):
    """``(rf_source, mock_server_or_None)``. The mock is an SCPI server on 127.0.0.1 reached through pyvisa."""
    limits = RfLimits.from_config(rf_config)
    compound = rf_config.compound_messages
    if rf_config.driver == "scpi":
        return ScpiRfSource(rf_config.resource, rf_config.dialect, limits, rf_config.timeout_s, resource_manager,
                            compound), None
    server = MockScpiServer(rf_config.dialect, state=state, faults=faults).start()
    try:
        return ScpiRfSource(server.resource_name, rf_config.dialect, limits, rf_config.timeout_s,
                            compound_messages=compound), server
    except BaseException:
        server.stop()
        raise


def open_shutter(shutter_config, state=None, faults=None, resource_manager=None):
    s = shutter_config
    if s.driver == "sc10":
        return Sc10Shutter(s.resource, s.timeout_s, s.baud_rate, s.settle_s, resource_manager)
    if s.driver == "ksc101":
        return Ksc101Shutter(s.serial_number or s.resource, s.timeout_s, s.settle_s)
    return MockShutter(state, faults, s.timeout_s, s.settle_s)


def open_camera(camera_config, microscope=None, faults=None):
    c = camera_config
    if c.driver == "pvcam":
        return open_pvcam_camera(c.name, c.exposure_s, c.em_gain)
    return MockCamera(microscope, c.exposure_s, c.readout_s, c.em_gain, faults)


@dataclass
class Instruments:
    """The opened instruments; a context manager that leaves them safe on every exit path."""

    camera: object
    rf: object
    shutter: object
    microscope: object = None
    rf_server: object = None
    config: object = None

    @property
    def frame_timeout_s(self):
        """How long to wait for one frame: exposure + camera.timeout_s."""
        return self.camera.get_exposure() + (self.config.camera.timeout_s if self.config else 2.0)

    def safe_state(self):
        """RF off, shutter closed, camera stopped — each attempted; returns the errors (empty if all went well)."""
        errors = []
        for action in (self._rf_off, self._shutter_closed, self._camera_stopped):
            try:
                action()
            except Exception as err:  # noqa: BLE001 - every safety step must run whatever the previous raised
                errors.append(err)
        return errors

    def _rf_off(self):
        if self.rf is not None:
            self.rf.ensure_output_off()

    def _shutter_closed(self):
        if self.shutter is not None:
            self.shutter.ensure_closed()

    def _camera_stopped(self):
        if self.camera is not None:
            self.camera.stop_acquisition()

    def close(self):
        """``safe_state()``, then disconnect everything and stop the mock server; raise the first error."""
        errors = self._shutdown()
        if errors:
            first = errors[0]
            for other in errors[1:]:
                first.add_note(f"also during the safety shutdown: {type(other).__name__}: {other}")
            raise first

    def _shutdown(self):
        errors = []
        try:
            self._shutdown_holding_signals(errors)
        except KeyboardInterrupt as signalled:  # a signal that waited for the shutdown: it goes on, with what failed
            for err in errors:
                signalled.add_note(f"during the safety shutdown: {type(err).__name__}: {err}")
            raise
        return errors

    def _shutdown_holding_signals(self, errors):
        with signals_held():  # Ctrl-C or SIGTERM now would leave the rest open: it waits until all are closed
            errors.extend(self.safe_state())
            for part in (self.camera, self.rf, self.shutter):
                if part is None:
                    continue
                try:
                    part.close()
                except Exception as err:  # noqa: BLE001 - keep closing the others
                    errors.append(err)
            if self.rf_server is not None:
                self.rf_server.stop()
            self.camera = self.rf = self.shutter = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        errors = self._shutdown()
        if exc is not None:
            for err in errors:
                exc.add_note(f"during the safety shutdown: {type(err).__name__}: {err}")
            return False
        if errors:
            first = errors[0]
            for other in errors[1:]:
                first.add_note(f"also during the safety shutdown: {type(other).__name__}: {other}")
            raise first
        return False


def open_instruments(config=None, microscope=None, resource_manager=None):
    """Open camera, RF source and shutter as ``config`` says (default: ``load_config()``, all mocks).

    The mocks share one ``VirtualMicroscope`` (``microscope``, or one built from config ``[microscope]``): the
    mock RF server and mock shutter write its state, the mock camera renders it. ``resource_manager`` is
    used for real pyvisa instruments (tests pass a pyvisa-sim one). If opening one instrument fails, the ones
    already open are made safe and closed before the error propagates."""
    config = config if config is not None else load_config()
    uses_mock = "mock" in (config.camera.driver, config.rf.driver, config.shutter.driver)
    if microscope is None and uses_mock:
        microscope = build_microscope(config.microscope)
    state = microscope.state if microscope is not None else None
    inst = Instruments(None, None, None, microscope, None, config)
    try:
        inst.shutter = open_shutter(config.shutter, state, config.faults.shutter(), resource_manager)
        inst.rf, inst.rf_server = open_rf(config.rf, state, config.faults.rf(), resource_manager)
        inst.camera = open_camera(config.camera, microscope, config.faults.camera())
    except BaseException as err:
        for failure in inst._shutdown():
            err.add_note(f"while closing after the failed start: {type(failure).__name__}: {failure}")
        raise
    return inst
