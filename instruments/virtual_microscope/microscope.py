"""The virtual microscope: what the camera would see for a given RF and shutter state.

The mock RF source and mock shutter write their *current* state into ``InstrumentState``; the mock camera
asks ``render_frame`` for a frame with that state, just as a real camera images whatever the real RF and
laser are doing. Calibration: the photon rate per pixel is chosen so that the shot-noise-limited CW field
sensitivity of a pixel at the beam centre equals ``OpticsSettings.sensitivity_t_per_sqrt_hz`` (default
200 nT/sqrt(Hz), the paper's instrument) at the reference RF power.
"""

import threading
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from analysis import physics

from .emccd import EmccdSettings, render_emccd_frame, render_emccd_frame_sum
from .sample import VirtualSample


@dataclass(frozen=True)
class SpinSettings:
    """NV ensemble line parameters. Contrast and width depend on the RF drive through s = P / P_sat."""

    isotope: str = "15N"
    intrinsic_fwhm_hz: float = 0.6e6
    max_contrast: float = 0.03
    """Contrast per hyperfine line at full saturation of the drive."""
    saturation_power_dbm: float = 0.0
    temperature_k: float = 295.0

    def line_parameters(self, rf_power_dbm):
        """(FWHM in Hz, contrast per line) at this RF power."""
        s = physics.power_saturation(rf_power_dbm, self.saturation_power_dbm)
        return (float(physics.power_broadened_fwhm_hz(self.intrinsic_fwhm_hz, s)),
                float(physics.power_saturated_contrast(self.max_contrast, s)))


@dataclass(frozen=True)
class OpticsSettings:
    sensitivity_t_per_sqrt_hz: float = 200e-9
    """Shot-noise CW sensitivity of one pixel at the beam centre, at ``reference_rf_power_dbm``."""
    reference_rf_power_dbm: float = 0.0
    beam_waist_m: float = 400e-6
    """1/e^2 radius of the Gaussian laser spot on the diamond (the corners of the default field are dimmer)."""


@dataclass
class InstrumentState:
    """What the mock instruments are doing right now; written by the mocks, read when a frame is rendered."""

    rf_frequency_hz: float = 2.87e9
    rf_power_dbm: float = -20.0
    rf_on: bool = False
    shutter_open: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def snapshot(self):
        with self.lock:
            return self.rf_frequency_hz, self.rf_power_dbm, self.rf_on, self.shutter_open


@njit(cache=True, fastmath=True, nogil=True)
def _expected_electrons(rate_e_per_s, f_minus_hz, f_plus_hz, freq_hz, fwhm_hz, contrast, offsets_hz, exposure_s,
                        out):
    for i in range(rate_e_per_s.shape[0]):
        for j in range(rate_e_per_s.shape[1]):
            dip = physics.multiplet_dip(freq_hz, f_minus_hz[i, j], fwhm_hz, contrast, offsets_hz)
            dip += physics.multiplet_dip(freq_hz, f_plus_hz[i, j], fwhm_hz, contrast, offsets_hz)
            out[i, j] = rate_e_per_s[i, j] * exposure_s * (1.0 - dip)


class VirtualMicroscope:
    """A physically faithful simulated NV widefield microscope. Deterministic for a given seed."""

    def __init__(self, sample=None, spin=None, optics=None, camera=None, seed=0):
        self.sample = sample if sample is not None else VirtualSample()
        self.spin = spin if spin is not None else SpinSettings()
        self.optics = optics if optics is not None else OpticsSettings()
        self.camera = camera if camera is not None else EmccdSettings()
        physics.validation.require_positive(
            "sensitivity_t_per_sqrt_hz", self.optics.sensitivity_t_per_sqrt_hz, "T/sqrt(Hz)")
        self.state = InstrumentState()
        self.rng = np.random.default_rng(seed)
        self.b_nv_map_t = self.sample.b_nv_map_t()
        d_hz = float(physics.zero_field_splitting_hz(self.spin.temperature_k))
        self.d_hz = d_hz
        f_minus, f_plus = physics.transitions_hz(self.b_nv_map_t, d_hz)
        self._f_minus = np.ascontiguousarray(f_minus)
        self._f_plus = np.ascontiguousarray(f_plus)
        self._offsets = physics.hyperfine_offsets_hz(self.spin.isotope)
        self.peak_photon_rate_per_s = self._calibrated_photon_rate()
        self.photon_rate_per_s = self.peak_photon_rate_per_s * self._beam_profile()
        self._compile_kernels()

    def _compile_kernels(self):
        """Run the numba kernels once on one pixel, so that their compilation (seconds on a fresh install)
        happens here and not inside a camera's first exposure, where it would look like a frame timeout."""
        one = np.ones((1, 1))
        _expected_electrons(one, one, one, 2.87e9, 1e6, 0.01, self._offsets, 1e-3, np.empty((1, 1)))
        render_emccd_frame(one, self.camera, np.random.default_rng(0))

    def _calibrated_photon_rate(self):
        fwhm, contrast = self.spin.line_parameters(self.optics.reference_rf_power_dbm)
        return physics.photon_rate_for_sensitivity(
            self.optics.sensitivity_t_per_sqrt_hz, fwhm, contrast, self.spin.isotope,
            excess_noise=self.camera.excess_noise_factor,
        )

    def _beam_profile(self):
        x, y = self.sample.pixel_coordinates_m()
        xx, yy = np.meshgrid(x - x.mean(), y - y.mean())
        return np.exp(-2.0 * (xx**2 + yy**2) / self.optics.beam_waist_m**2)

    @property
    def shape(self):
        return self.sample.n_rows, self.sample.n_cols

    def expected_electrons(self, freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s):
        """Mean photo-electrons per pixel (float64 image) for one exposure in this state."""
        physics.validation.require_non_negative("exposure_s", exposure_s, "s")
        if not shutter_open:
            return np.zeros(self.shape)
        if not rf_on:
            return self.photon_rate_per_s * exposure_s
        fwhm, contrast = self.spin.line_parameters(rf_power_dbm)
        out = np.empty(self.shape)
        _expected_electrons(self.photon_rate_per_s, self._f_minus, self._f_plus, float(freq_hz), fwhm, contrast,
                            self._offsets, float(exposure_s), out)
        return out

    def render_frame(self, freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s):
        """A noisy uint16 EMCCD frame for this state."""
        mean = self.expected_electrons(freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s)
        return render_emccd_frame(mean, self.camera, self.rng)

    def render_frame_sum(self, n_frames, freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s):
        """The sum (uint64 ADU) of ``n_frames`` independent frames in this state, drawn at once: what the sweep
        engine accumulates over the RF-on (or RF-off) frames of one step, without rendering each frame.
        Same physics and noise law as ``render_frame``; see ``emccd.render_emccd_frame_sum`` for the two
        sub-noise approximations (rounding, clipping)."""
        mean = self.expected_electrons(freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s)
        return render_emccd_frame_sum(mean, n_frames, self.camera, self.rng)

    def frame_from_state(self, exposure_s):
        """A frame for whatever the mock instruments are doing now (what the mock camera calls)."""
        freq, power, rf_on, shutter_open = self.state.snapshot()
        return self.render_frame(freq, rf_on, power, shutter_open, exposure_s)
