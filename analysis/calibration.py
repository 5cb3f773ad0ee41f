"""The microscope's calibration: pixel size at the sample, binning, NV axis and image orientation.

It flows one way (DESIGN section 1): the config's ``[microscope]`` table -> ``Calibration`` -> the session file
(``sample_metadata["calibration"]``) -> every analysis, which takes ``pixel_size_m`` and the NV axis *in the
image frame* (``image_nv_polar_deg``, ``image_nv_azimuth_deg``) from here.

Conventions:
- ``pixel_size_unbinned_m`` is one camera pixel at the sample; the maps' pixel is that times ``binning``.
- The NV axis is given in the *sample frame*: polar angle from the surface normal, azimuth from the sample
  frame's +x towards +y, and its ``sense`` (+1 or -1: the bias field along +u or -u).
- The image orientation says how the stored (raw camera) image relates to the sample frame: the raw image is
  mirrored (``flip_x``: x -> -x, then ``flip_y``: y -> -y) and then rotated by ``rotation_deg`` (from +x towards
  +y) to give the sample frame. Maps are analysed in the raw image frame, so the axis is carried back into it.
- Reversing the axis (``sense`` = -1) does not change a B_NV map: the moments follow the bias field and the
  map is the field's projection on it, so (polar, azimuth, -1) analyses as (polar, azimuth, +1). The sense is
  recorded for the user, and ``image_nv_*`` always describe the axis pointing away from the NV layer.
"""

from dataclasses import asdict, dataclass

from analysis import physics

ROTATIONS_DEG = (0, 90, 180, 270)
LEGACY_NV_AZIMUTH_DEG = 45.0
"""The NV azimuth every session was analysed with before calibrations were recorded (the old default)."""


class CalibrationError(ValueError):
    """A calibration value is invalid, or a session has none and no pixel size either."""


@dataclass(frozen=True)
class Calibration:
    pixel_size_unbinned_m: float
    binning: int = 1
    nv_polar_deg: float = physics.NV_POLAR_ANGLE_DEG
    nv_azimuth_deg: float = 45.0
    nv_sense: int = 1
    flip_x: bool = False
    flip_y: bool = False
    rotation_deg: int = 0
    source: str = "config"
    """Where the values come from: 'config', 'session', or 'assumed (older file: ...)'."""

    def __post_init__(self):
        p = self.pixel_size_unbinned_m
        if not (isinstance(p, int | float) and 1e-8 <= p <= 1e-3):
            raise CalibrationError(f"pixel size {p!r} m at the sample is not in [0.01, 1000] um; give the size "
                                   "of one unbinned camera pixel at the sample (camera pixel / magnification).")
        if not (isinstance(self.binning, int) and 1 <= self.binning <= 16):
            raise CalibrationError(f"binning {self.binning!r} is not an integer in [1, 16]; give the camera's "
                                   "on-chip binning (1 = none, 2 = 2x2, ...).")
        if not 0.0 <= self.nv_polar_deg <= 180.0:
            raise CalibrationError(f"NV polar angle {self.nv_polar_deg!r} deg is not in [0, 180]; a [100] diamond "
                                   "has 54.7356 deg.")
        if self.nv_sense not in (1, -1):
            raise CalibrationError(f"NV axis sense {self.nv_sense!r} is not +1 or -1.")
        if self.rotation_deg not in ROTATIONS_DEG:
            raise CalibrationError(f"image rotation {self.rotation_deg!r} deg is not one of {ROTATIONS_DEG}.")

    @property
    def pixel_size_m(self):
        """Pixel size of the stored maps at the sample (m), binning applied."""
        return self.pixel_size_unbinned_m * self.binning

    @property
    def image_nv_polar_deg(self):
        return self._image_axis()[0]

    @property
    def image_nv_azimuth_deg(self):
        return self._image_axis()[1]

    def _image_axis(self):
        polar, azimuth = float(self.nv_polar_deg), float(self.nv_azimuth_deg)
        if self.nv_sense < 0:  # -u: polar 180 - p, azimuth + 180
            polar, azimuth = 180.0 - polar, azimuth + 180.0
        azimuth -= self.rotation_deg  # sample = R(rot) F image  ->  image = F R(-rot) sample
        if self.flip_y:
            azimuth = -azimuth
        if self.flip_x:
            azimuth = 180.0 - azimuth
        if polar > 90.0:  # the map is the same for -u: describe the axis pointing away from the NV layer
            polar, azimuth = 180.0 - polar, azimuth + 180.0
        return polar, azimuth % 360.0

    def nv_unit_vector(self):
        """The NV axis u in the image frame (pointing away from the NV layer), from ``analysis.physics``."""
        return physics.nv_axis(self.image_nv_polar_deg, self.image_nv_azimuth_deg)

    def analysis_kwargs(self):
        """pixel_size_m, nv_polar_deg, nv_azimuth_deg as the cell analysis takes them (image frame)."""
        return {"pixel_size_m": self.pixel_size_m, "nv_polar_deg": self.image_nv_polar_deg,
                "nv_azimuth_deg": self.image_nv_azimuth_deg}

    def to_attributes(self):
        """A JSON-able dict for the session file (``pixel_size_m`` with binning applied, for readers)."""
        out = asdict(self)
        out["pixel_size_m"] = self.pixel_size_m
        return out

    @classmethod
    def from_attributes(cls, attrs, source="session"):
        names = set(cls.__dataclass_fields__) - {"source"}
        missing = names - set(attrs) - {"binning", "nv_polar_deg", "nv_azimuth_deg", "nv_sense", "flip_x",
                                        "flip_y", "rotation_deg"}
        if missing:
            raise CalibrationError(f"stored calibration {attrs!r} lacks {sorted(missing)}; rewrite it with "
                                   "analysis.session.write_calibration.")
        values = {k: attrs[k] for k in names if k in attrs}
        for key in ("binning", "nv_sense", "rotation_deg"):
            if key in values:
                values[key] = int(values[key])
        for key in ("flip_x", "flip_y"):
            if key in values:
                values[key] = bool(values[key])
        return cls(**values, source=source)

    @classmethod
    def from_config(cls, microscope):
        """From the config's ``[microscope]`` table (``instruments.config.MicroscopeConfig``)."""
        return cls(pixel_size_unbinned_m=microscope.pixel_size_um * 1e-6, binning=microscope.binning,
                   nv_polar_deg=microscope.nv_polar_deg, nv_azimuth_deg=microscope.nv_azimuth_deg,
                   nv_sense=microscope.nv_sense, flip_x=microscope.flip_x, flip_y=microscope.flip_y,
                   rotation_deg=microscope.rotation_deg, source="config")

    @classmethod
    def from_session(cls, session):
        """The session's calibration; an older file without one gets what it recorded (its pixel size; the
        simulated truth's NV azimuth) and otherwise the old default azimuth, ``source`` saying 'assumed'."""
        sample = session.sample_metadata or {}
        if isinstance(sample.get("calibration"), dict):
            return cls.from_attributes(sample["calibration"])
        truth = (session.truth or {}).get("sample") or {}
        pixel = sample.get("pixel_size_m") or truth.get("pixel_size_m")
        if not pixel:
            raise CalibrationError(
                f"{session.path} records no pixel size and no calibration (a session taken before calibrations "
                "were stored); store one with analysis.session.write_calibration(path, Calibration(...)) using "
                "the microscope's pixel size at the sample.")
        azimuth = truth.get("nv_azimuth_deg")
        if azimuth is None:
            return cls(float(pixel), nv_azimuth_deg=LEGACY_NV_AZIMUTH_DEG,
                       source=f"assumed (older file: pixel size recorded, NV azimuth {LEGACY_NV_AZIMUTH_DEG:g} deg "
                              "and no binning or image flips assumed)")
        return cls(float(pixel), nv_azimuth_deg=float(azimuth),
                   source="assumed (older simulated file: pixel size and NV azimuth from its truth)")
