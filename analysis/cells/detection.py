"""Dipole candidates in a background-subtracted B_NV map: a matched filter with NV-projected dipole templates.

Templates: the B_NV of a point dipole along the NV axis (``analysis.physics.projected_field_map_t``) at a few
heights ``DEFAULT_TEMPLATE_Z_M``, centred on the dipole, cut to +-2 z (8 to 32 px), made zero-mean (so a
residual offset gives no response) and of unit norm. The map is cross-correlated with each (FFT). With white
noise the output's noise is sigma, the per-pixel noise (given, or estimated by ``map_noise_t``: the robust
spread of second differences of adjacent pixels, which smooth dipole fields hardly touch; spatially correlated
noise makes it an underestimate and the threshold optimistic). The detection SNR is the correlation over
sigma. The correlation peaks at the dipole's centre (the templates are centred on it, not on its positive
lobe), so no lobe offset has to be undone.

Candidates are the local maxima (5 x 5) of each template's SNR map over the threshold - per template, because
a faint cell next to a strong one keeps its own peak in the narrow templates' maps where a wide template's
response to the strong one swamps it - taken strongest first, a candidate closer than ``MIN_SEPARATION_PX``
(10 um: two ~12 um cells cannot be closer) to a stronger one dropped. Sub-pixel centre: a parabola through the
peak and its neighbours along each axis. Candidates are verified by fitting (``deblend``): the filter alone
also answers to ridges between neighbours and to the lobes of strong cells.
"""

from dataclasses import dataclass

import numpy as np

from analysis import physics

DEFAULT_TEMPLATE_Z_M = (6e-6, 10e-6, 16e-6, 25e-6, 40e-6)
DEFAULT_DETECTION_SNR = 6.0
MAD_TO_SIGMA = 1.4826
MIN_SEPARATION_PX = 8.0
"""Two detections closer than this (10 um at 1.3 um pixels) cannot be two cells of ~12 um: the weaker goes."""
_MIN_HALF_PX, _MAX_HALF_PX = 8, 32


@dataclass
class Detection:
    """One candidate dipole: centre (row_px, col_px) in map pixels (sub-pixel, from the filter), the integer
    pixel (row, col) of the filter's peak, the matched-filter SNR, the height of the best template (m) and the
    peak |B_NV| of the map within 2 px of the peak over the noise (peak_snr)."""

    row_px: float
    col_px: float
    row: int
    col: int
    snr: float
    template_z_m: float
    peak_snr: float
    iron_mass_kg: float
    """Iron mass of a point dipole at ``template_z_m`` that gives this correlation (a start for the fits)."""


def dipole_templates(pixel_size_m, z_values_m=DEFAULT_TEMPLATE_Z_M, *, nv_polar_deg=physics.NV_POLAR_ANGLE_DEG,
                     nv_azimuth_deg):
    """Unit-norm, zero-mean templates (list of (2h+1, 2h+1) arrays, dipole at the centre pixel) and the raw
    unit-moment fields they came from (T per A m^2)."""
    u = physics.nv_axis(nv_polar_deg, nv_azimuth_deg)
    unit, raw = [], []
    for z in z_values_m:
        half = int(np.clip(np.ceil(2.0 * z / pixel_size_m), _MIN_HALF_PX, _MAX_HALF_PX))
        axis = (np.arange(2 * half + 1) - half) * pixel_size_m
        field = physics.projected_field_map_t(axis, axis, [[0.0, 0.0, z]], [u], u)
        t = field - field.mean()
        raw.append(field)
        unit.append(t / np.linalg.norm(t))
    return unit, raw


def _fast_size(n):
    """The smallest 2^a 3^b 5^c >= n (pocketfft is fastest on such lengths)."""
    best = 2 * n
    for p2 in (2**k for k in range(0, 16)):
        for p3 in (3**k for k in range(0, 10)):
            v = p2 * p3
            while v < n:
                v *= 5
            best = min(best, v)
    return best


def _correlate_all(image, templates):
    """Cross-correlations c_j(r) = sum_k image(r + k) t_j(k), templates centred; each the image's size.
    One FFT of the image serves every template."""
    big = max(t.shape[0] for t in templates)
    shape = (_fast_size(image.shape[0] + big), _fast_size(image.shape[1] + big))
    fi = np.fft.rfft2(image, s=shape)
    out = np.empty((len(templates), *image.shape))
    for j, t in enumerate(templates):
        h0, h1 = t.shape[0] // 2, t.shape[1] // 2
        full = np.fft.irfft2(fi * np.fft.rfft2(t[::-1, ::-1], s=shape), s=shape)
        out[j] = full[h0 : h0 + image.shape[0], h1 : h1 + image.shape[1]]
    return out


def robust_noise_t(values):
    """1.4826 x median absolute deviation of the finite values (a robust sigma)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(MAD_TO_SIGMA * np.median(np.abs(v - np.median(v))))


def map_noise_t(b_nv_map_t):
    """Per-pixel noise sigma (T) of a map: robust sigma of second differences along rows and columns,
    m[i-1] - 2 m[i] + m[i+1] (variance 6 sigma^2 for white noise), over sqrt(6). A smooth field (cells a few
    micrometres away, backgrounds) has almost no curvature from one pixel to the next, so it barely inflates
    the estimate; spatially correlated noise makes it an underestimate."""
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    d2 = np.concatenate([np.diff(m, n=2, axis=0).ravel(), np.diff(m, n=2, axis=1).ravel()])
    return robust_noise_t(d2) / np.sqrt(6.0)


def _subpixel(snr, r, c):
    def vertex(a, b, d):
        den = a - 2.0 * b + d
        return 0.0 if den >= 0.0 else float(np.clip(0.5 * (a - d) / den, -0.5, 0.5))

    rows, cols = snr.shape
    dr = vertex(snr[r - 1, c], snr[r, c], snr[r + 1, c]) if 0 < r < rows - 1 else 0.0
    dc = vertex(snr[r, c - 1], snr[r, c], snr[r, c + 1]) if 0 < c < cols - 1 else 0.0
    return r + dr, c + dc


def _candidates(work, unit, noise, threshold):
    """(k, 3) row, col, template index of local maxima of each template's SNR map, strongest first, and the
    SNR stack."""
    snr = _correlate_all(work, unit) / noise
    # local maxima of each template's map: a faint cell next to a strong one keeps its own peak in the narrow
    # templates' maps even where a wide template's response to the strong one swamps it
    cand = np.concatenate([_with_index(_local_maxima(snr[j], threshold), j) for j in range(len(unit))])
    order = np.argsort(-snr[cand[:, 2], cand[:, 0], cand[:, 1]], kind="stable")
    return cand[order], snr


def detect_cells(b_nv_map_t, pixel_size_m, noise_t=None, *, detection_snr=DEFAULT_DETECTION_SNR,
                 template_z_m=DEFAULT_TEMPLATE_Z_M, nv_polar_deg=physics.NV_POLAR_ANGLE_DEG, nv_azimuth_deg,
                 min_separation_px=MIN_SEPARATION_PX):
    """Candidate dipole signatures in a background-subtracted B_NV map (T), strongest first; see the module
    docstring. noise_t: per-pixel noise sigma (T); None estimates it with ``map_noise_t``. Returns a list of
    ``Detection`` (to be verified by fitting: ``analysis.cells.deblend``)."""
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"b_nv_map_t has shape {m.shape}; give a 2-D (rows, cols) map in tesla.")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"the map has {int(np.sum(~np.isfinite(m)))} NaN or inf pixels; fill them before "
                         "detection (e.g. with the median of their neighbours).")
    if not detection_snr > 0:
        raise ValueError(f"detection_snr = {detection_snr}; give a positive threshold in noise sigmas (e.g. 6).")
    centred = m - np.median(m)
    noise = map_noise_t(m) if noise_t is None else float(noise_t)
    if not noise > 0:
        raise ValueError(f"the map's noise is {noise} T; give noise_t > 0 (a noiseless map has no SNR).")
    unit, raw = dipole_templates(pixel_size_m, template_z_m, nv_polar_deg=nv_polar_deg, nv_azimuth_deg=nv_azimuth_deg)
    cand, snr = _candidates(centred, unit, noise, detection_snr)
    per_kg = physics.iron_mass_to_moment_am2(1.0) * np.array([np.linalg.norm(f - f.mean()) for f in raw])
    found = []
    for r, c, j in cand:
        if any((d.row - r) ** 2 + (d.col - c) ** 2 < min_separation_px**2 for d in found):
            continue
        rr, cc = _subpixel(snr[j], r, c)
        window = centred[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3]
        found.append(Detection(row_px=rr, col_px=cc, row=int(r), col=int(c), snr=float(snr[j, r, c]),
                               template_z_m=float(template_z_m[j]), peak_snr=float(np.max(np.abs(window)) / noise),
                               iron_mass_kg=float(snr[j, r, c] * noise / per_kg[j])))
    return found


def _with_index(rows_cols, j):
    return np.c_[rows_cols, np.full(len(rows_cols), j)].astype(int)


def _local_maxima(values, threshold, radius=2):
    """(k, 2) row, col of pixels over ``threshold`` that are the maximum of their (2 radius + 1)^2 window."""
    padded = np.pad(values, radius, constant_values=-np.inf)
    rows, cols = values.shape
    is_max = values >= threshold
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if dr or dc:
                is_max &= values >= padded[radius + dr : radius + dr + rows, radius + dc : radius + dc + cols]
    return np.argwhere(is_max)
