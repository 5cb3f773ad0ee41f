"""EMCCD noise model: photons -> electrons (Poisson) -> EM register (gain G, excess noise factor sqrt(2))
-> output amplifier (read noise) -> ADU (bias offset, conversion, uint16 saturation).

Mean ADU = bias + G N / k; variance (ADU^2) = (G^2 F^2 N + sigma_read^2) / k^2, with N the mean number of
photo-electrons, k the electrons per ADU at the output and F = sqrt(2) when the EM register multiplies.
Pixels with many electrons are drawn from the Gaussian limit of that law (exact to far better than the
frame's own noise); pixels with few are drawn exactly (Poisson, then a gamma-distributed EM register).
"""

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

_EXACT_BELOW_ELECTRONS = 50.0
ADU_MAX = 65535


@dataclass(frozen=True)
class EmccdSettings:
    em_gain: float = 10.0
    electrons_per_adu: float = 40.0
    """Output-amplifier conversion (electrons after the EM register per ADU)."""
    read_noise_e: float = 40.0
    """rms read noise at the output amplifier, in electrons (divide by em_gain for input-referred)."""
    bias_adu: float = 100.0

    @property
    def excess_noise_factor(self):
        return math.sqrt(2.0) if self.em_gain > 1.0 else 1.0

    def mean_adu(self, electrons):
        return self.bias_adu + self.em_gain * np.asarray(electrons) / self.electrons_per_adu

    def variance_adu2(self, electrons):
        g, f, k = self.em_gain, self.excess_noise_factor, self.electrons_per_adu
        return (g * g * f * f * np.asarray(electrons) + self.read_noise_e**2) / (k * k)


@njit(cache=True, nogil=True)
def _amplified_electrons(n, rng, gain, excess, exact_below):
    """Electrons out of the EM register for a mean of ``n`` photo-electrons in."""
    if n >= exact_below:  # Gaussian limit of Poisson x EM register: mean G n, variance G^2 F^2 n
        return gain * (n + excess * math.sqrt(n) * rng.standard_normal())
    k = rng.poisson(n)  # few electrons: exact Poisson, then the EM register's gamma distribution
    if k == 0:
        return 0.0
    if gain > 1.0:
        return rng.gamma(k, gain)
    return float(k)


@njit(cache=True, nogil=True)
def _emccd_frame(mean_e, rng, gain, excess, read_e, per_adu, bias, exact_below, out):
    flat_mean = mean_e.ravel()
    flat_out = out.ravel()
    for i in range(flat_mean.shape[0]):
        amplified = _amplified_electrons(flat_mean[i], rng, gain, excess, exact_below)
        adu = bias + (amplified + read_e * rng.standard_normal()) / per_adu + 0.5
        if adu < 0.0:
            adu = 0.0
        elif adu > ADU_MAX:
            adu = ADU_MAX
        flat_out[i] = np.uint16(adu)


def render_emccd_frame(mean_electrons, settings, rng):
    """One noisy uint16 frame for the mean photo-electron image ``mean_electrons`` (float64, any 2D shape).

    ``rng`` is a ``numpy.random.Generator``; the same generator state gives the same frame."""
    mean_e = np.ascontiguousarray(mean_electrons, dtype=np.float64)
    out = np.empty(mean_e.shape, dtype=np.uint16)
    _emccd_frame(mean_e, rng, float(settings.em_gain), float(settings.excess_noise_factor),
                 float(settings.read_noise_e), float(settings.electrons_per_adu), float(settings.bias_adu),
                 _EXACT_BELOW_ELECTRONS, out)
    return out


@njit(cache=True, nogil=True)
def _emccd_frame_sum(mean_e, n_frames, rng, gain, excess, read_e, per_adu, bias, exact_below, out):
    flat_mean = mean_e.ravel()
    flat_out = out.ravel()
    rounding_sd = math.sqrt(n_frames / 12.0)
    read_sd = read_e * math.sqrt(n_frames)
    for i in range(flat_mean.shape[0]):
        # a sum of Gaussians is Gaussian (mean G N, variance G^2 F^2 N); a sum of Poissons is Poisson and gammas
        # of one scale add their shapes: the sum of n frames is one draw with n times the mean, still exact
        amplified = _amplified_electrons(n_frames * flat_mean[i], rng, gain, excess, n_frames * exact_below)
        adu = n_frames * bias + (amplified + read_sd * rng.standard_normal()) / per_adu
        adu += rounding_sd * rng.standard_normal() + 0.5
        flat_out[i] = np.uint64(adu) if adu > 0.0 else np.uint64(0)


def render_emccd_frame_sum(mean_electrons, n_frames, settings, rng):
    """The sum (uint64 ADU) of ``n_frames`` independent frames of the mean photo-electron image ``mean_electrons``,
    drawn in one go, as the sweep engine's on/off sums would hold it.

    Exact in distribution where ``render_emccd_frame`` is, except for two approximations that are far below
    the noise: (1) the per-frame rounding to whole ADU is replaced by its sum, a Gaussian of variance n/12 ADU^2
    (exact in mean and variance whenever a frame's noise before rounding exceeds ~0.5 ADU; here the read noise
    alone is 1 ADU); (2) the clipping of each frame to 0..65535 ADU is not applied (frames of the virtual
    microscope sit far inside that range: bias 100 ADU, lit pixels ~10^4 ADU). Shot noise, EM excess noise
    and read noise add exactly: mean = n (bias + G N / k), variance = n ((G^2 F^2 N + sigma_read^2) / k^2
    + 1/12)."""
    mean_e = np.ascontiguousarray(mean_electrons, dtype=np.float64)
    n = int(n_frames)
    if n < 1:
        raise ValueError(f"n_frames = {n_frames}; a frame sum needs at least one frame.")
    out = np.empty(mean_e.shape, dtype=np.uint64)
    _emccd_frame_sum(mean_e, n, rng, float(settings.em_gain), float(settings.excess_noise_factor),
                     float(settings.read_noise_e), float(settings.electrons_per_adu), float(settings.bias_adu),
                     _EXACT_BELOW_ELECTRONS, out)
    return out
