"""The field map's 'fit quality': the pixel fits' reduced chi2 weighted by the spectra's noise, so that ~1 means
a fit as good as the noise allows (the cell table's chi2_red reads the same way).

The pixel fits are unweighted: their reduced chi2 is in (PL on/off)^2, ~1e-6, which read as nonsense beside the
table. The noise variance of one spectrum point is estimated from the difference between neighbouring pixels'
spectra, var(d) = 2 sigma^2 for independent noise: neighbours share their line (the field changes little over
one pixel), whereas successive frequency points do not (a 1 MHz line sampled every 0.2 MHz changes by more than
the noise). The median of d^2 (divided by chi-square(1)'s median 0.4549) is used, robust to the pixels at a
cell's edge; one value for the map (the noise is near-uniform across the field of view), from at most ~64 rows so
that it costs well under the fit.
"""

import numpy as np

CHI2_1_MEDIAN = 0.4549


def spectrum_noise_variance(cube, freq_axis=-1, max_rows=64):
    """Per-point noise variance of the spectra in ``cube`` (rows, cols and the steps on ``freq_axis``), or NaN."""
    data = np.moveaxis(np.asarray(cube), freq_axis, -1)  # (rows, cols, steps)
    stride = max(1, data.shape[0] // max_rows)
    diffs = np.diff(data[::stride].astype(np.float64), axis=1)
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size < 10:
        return float("nan")
    return float(np.median(diffs**2) / (2 * CHI2_1_MEDIAN))


def weighted_reduced_chi2(reduced_chi2, cube, freq_axis=-1):
    """The unweighted pixel fits' reduced chi2 divided by the spectra's noise variance (NaN where unknown)."""
    variance = spectrum_noise_variance(cube, freq_axis)
    chi2 = np.asarray(reduced_chi2, dtype=np.float64)
    if not (np.isfinite(variance) and variance > 0):
        return np.full(chi2.shape, np.nan)
    return chi2 / variance
