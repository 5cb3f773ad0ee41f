"""The instrument seam: what the instrument panel and the acquisition need from an instrument layer.

``FactoryBackend`` wraps the instrument layer (``instruments.factory.open_instruments(config, microscope)``:
real drivers or its mocks on the virtual microscope, as the configuration says; the mocks' faults are set in the
configuration's ``[faults]`` table, which is how tests inject them; ``factory_backend.make_backend`` builds it
for a run of the app). Every call here may block (a real generator can take a second to
answer), so the GUI only calls them from a worker thread (``app.core.background_tasks.TaskRunner``).
"""

from dataclasses import dataclass
from typing import Protocol

INSTRUMENT_NAMES = ("camera", "rf", "shutter")
INSTRUMENT_LABELS = {"camera": "Camera", "rf": "RF generator", "shutter": "Laser shutter"}


@dataclass(frozen=True)
class InstrumentLimits:
    """What the sweep settings are checked against before anything is sent (SI units)."""

    min_frequency_hz: float = 1.0e9
    max_frequency_hz: float = 4.0e9
    max_power_dbm: float = 10.0
    max_exposure_s: float = 10.0


class InstrumentBackend(Protocol):
    """One instrument layer: three instruments that connect and disconnect one by one.

    description: one line for the window title ("virtual microscope (mock instruments)").
    limits: ``InstrumentLimits``; calibration: the microscope's ``analysis.calibration.Calibration`` (the
    config's ``[microscope]`` table; every session records it); pixel_size_m: its pixel size at the sample (m,
    binning applied); frame_shape: (rows, cols).
    microscope: the ``VirtualMicroscope`` behind the mocks, or None for real hardware.
    """

    description: str
    limits: InstrumentLimits
    calibration: object
    pixel_size_m: float
    frame_shape: tuple
    microscope: object

    def is_mock(self, name: str) -> bool:
        """True when ``name`` ("camera", "rf", "shutter") is a mock instrument."""

    def connect(self, name: str) -> str:
        """Open the instrument (may block) and return its identity string (e.g. the SCPI *IDN? answer)."""

    def disconnect(self, name: str) -> None:
        """Leave the instrument safe (RF off, shutter closed) and close it."""

    def instrument(self, name: str):
        """The connected driver object the sweep engine talks to; raises if not connected."""

    def close(self) -> None:
        """RF off, shutter closed, everything disconnected; safe to call twice."""
