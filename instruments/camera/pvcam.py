"""The real EMCCD: a Teledyne Photometrics Evolve (any PVCAM camera) through pylablib's ``PvcamCamera``.

pylablib (and through it the PVCAM library) is imported only by ``open_pvcam_camera``, so importing this module
never fails on a machine without PVCAM; connecting there raises ``DriverUnavailableError`` saying what to
install. The returned object is a ``PvcamCamera`` subclass with the additions of ``camera.interface``:

- EM gain through the PVCAM parameters ``GAIN_MULT_FACTOR`` (and ``GAIN_MULT_ENABLE`` where the camera
  reports it; the Evolve 512 has both), range from the camera;
- frame metadata switched on where supported, so a lost exposure (a gap in the frame number, ``framestamp``)
  raises ``DroppedFrameError`` on reading, and a frame-wait timeout raises ``FrameTimeoutError``;
- trigger modes are pylablib's PVCAM names ("timed", "strobe", "trig_first", ...);
- ``set_rf_gating(True)`` is refused: gating the RF with the camera's trigger output needs the RF switch and
  divide-by-two wired and is not yet supported on real hardware (software toggling works everywhere).
"""

from ..errors import DriverUnavailableError, FrameTimeoutError, InstrumentDisconnectedError, InstrumentError
from .frame_checks import FrameChecks

_INSTALL_HINT = (
    "The PVCAM library is missing (or not loadable) on this machine. Install the PVCAM runtime/SDK from "
    "Teledyne Photometrics (https://www.photometrics.com, 'PVCAM'); pylablib loads it on Windows (pvcam64.dll). "
    "Or set camera.driver = \"mock\" to run without the camera."
)
_FRAMESTAMP_COLUMN = 3  # pylablib's PVCAM TFrameInfo: frame_index, timestamp_start_ns, timestamp_end_ns, framestamp


def pvcam_camera_class():
    """The ``EvolveCamera`` class (defined on first use: it subclasses pylablib's ``PvcamCamera``)."""
    try:
        from pylablib.devices import Photometrics
    except (ImportError, OSError) as err:
        raise DriverUnavailableError(f"{_INSTALL_HINT} (import failed: {err})") from err

    class EvolveCamera(FrameChecks, Photometrics.PvcamCamera):
        """pylablib's PVCAM camera with EM gain, RF-gating refusal and typed frame errors."""

        TimeoutError = FrameTimeoutError
        camera_label = "PVCAM camera"
        supports_rf_gating = False

        def open(self):
            super().open()
            if "METADATA_ENABLED" in self.ca:
                self.enable_metadata(True)
            self._last_read = None

        def set_em_gain(self, gain):
            """EM gain (1 = EM register off where ``GAIN_MULT_ENABLE`` exists); returns the gain in force."""
            if "GAIN_MULT_FACTOR" not in self.ca:
                raise InstrumentError(f"the camera {self.name!r} reports no GAIN_MULT_FACTOR parameter, so it has "
                                      "no settable EM gain (is it an EMCCD?).")
            low, high = self.get_attribute_range("GAIN_MULT_FACTOR")[:2]
            value = round(float(gain))
            if not low <= value <= high and not (value == 1 and "GAIN_MULT_ENABLE" in self.ca):
                raise InstrumentError(f"EM gain {gain!r} is outside the camera's range [{low}, {high}] "
                                      "(config: camera.em_gain).")
            if "GAIN_MULT_ENABLE" in self.ca:
                self.set_attribute_value("GAIN_MULT_ENABLE", value > 1)
            if value > 1 or "GAIN_MULT_ENABLE" not in self.ca:
                self.set_attribute_value("GAIN_MULT_FACTOR", value)
            return self.get_em_gain()

        def get_em_gain(self):
            if "GAIN_MULT_ENABLE" in self.ca and not self.get_attribute_value("GAIN_MULT_ENABLE"):
                return 1.0
            return float(self.get_attribute_value("GAIN_MULT_FACTOR", error_on_missing=False, default=1))

        def set_rf_gating(self, enabled):
            if enabled:
                raise InstrumentError("RF gating by the camera's trigger output is not supported on the PVCAM "
                                      "driver; toggle the RF in software instead.")
            return False

        def get_rf_gating(self):
            return False

        def start_acquisition(self, *args, **kwargs):
            self._last_read = None
            return super().start_acquisition(*args, **kwargs)

        def _read_frames(self, rng, return_info=False):
            frames, info = super()._read_frames(rng, return_info=return_info)
            if info:  # metadata on: chunks of (n, 6) arrays
                stamps = [int(row[_FRAMESTAMP_COLUMN]) for chunk in info for row in chunk]
                previous = self._last_read if self._last_read and self._last_read[0] == rng[0] - 1 else None
                self._last_read = (rng[1] - 1, stamps[-1]) if stamps else self._last_read
                self._raise_if_dropped(rng, range(*rng), stamps, previous)
            return frames, info

    return EvolveCamera


def open_pvcam_camera(name="", exposure_s=None, em_gain=None):
    """Connect to the PVCAM camera ``name`` ("" = the first one found) and apply exposure and EM gain."""
    cls = pvcam_camera_class()
    try:
        cam = cls(name or None)
    except (OSError, AttributeError) as err:  # no DLL / ctypes.windll missing on Linux
        raise DriverUnavailableError(f"{_INSTALL_HINT} ({type(err).__name__}: {err})") from err
    except cls.Error as err:
        raise InstrumentDisconnectedError(
            f"PVCAM found no usable camera {name!r}: {err}. Check that the camera is powered, cabled and not "
            "open in another program (config: camera.name).") from err
    if exposure_s is not None:
        cam.set_exposure(exposure_s)
    if em_gain is not None:
        cam.set_em_gain(em_gain)
    return cam
