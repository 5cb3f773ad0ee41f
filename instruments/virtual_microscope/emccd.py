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


@njit(cache=True, fastmath=True)
def _gaussian_frame(mean_e, z_signal, z_read, gain, excess, read_e, per_adu, bias, out):
    flat_mean = mean_e.ravel()
    flat_out = out.ravel()
    for i in range(flat_mean.shape[0]):
        n = flat_mean[i]
        amplified = gain * (n + excess * math.sqrt(n) * z_signal[i]) + read_e * z_read[i]
        adu = bias + amplified / per_adu + 0.5
        if adu < 0.0:
            adu = 0.0
        elif adu > ADU_MAX:
            adu = ADU_MAX
        flat_out[i] = np.uint16(adu)


def render_emccd_frame(mean_electrons, settings, rng):
    """One noisy uint16 frame for the mean photo-electron image ``mean_electrons`` (float64, any 2D shape)."""
    mean_e = np.ascontiguousarray(mean_electrons, dtype=np.float64)
    n = mean_e.size
    z = rng.standard_normal((2, n))
    out = np.empty(mean_e.shape, dtype=np.uint16)
    _gaussian_frame(
        mean_e, z[0], z[1], float(settings.em_gain), float(settings.excess_noise_factor),
        float(settings.read_noise_e), float(settings.electrons_per_adu), float(settings.bias_adu), out,
    )
    low = mean_e < _EXACT_BELOW_ELECTRONS
    if low.any():
        electrons = rng.poisson(mean_e[low]).astype(np.float64)
        if settings.em_gain > 1.0:
            amplified = np.where(electrons > 0, rng.gamma(np.maximum(electrons, 1e-12), settings.em_gain), 0.0)
        else:
            amplified = electrons
        amplified += settings.read_noise_e * z[1][low.ravel()]
        adu = settings.bias_adu + amplified / settings.electrons_per_adu
        out[low] = np.clip(np.rint(adu), 0, ADU_MAX).astype(np.uint16)
    return out
