"""PLACEHOLDER ODMR fit and background removal, used until ``analysis.odmr.fit_odmr`` and
``analysis.background.remove_background`` land (then ``analysis_seams.default_seams`` swaps them in).

They have the real functions' signatures and result names so the views need no change:
``placeholder_fit_odmr(cube (rows, cols, n_freq), freq_hz, model="15N", transitions=1)`` -> result with
center_hz, fwhm_hz, contrast, converged, chi2, b_nv_t, b_nv_err_t, flags (maps); and
``placeholder_remove_background(b_nv_map_t)`` -> (background_t, residual_t, info).

The fit is a matched filter, not a least-squares fit: for every candidate centre on the sweep's grid the
hyperfine multiplet of a fixed width (``analysis.physics.odmr_spectrum``) is correlated with the pixel's dip
1 - PL_on/PL_off; the best centre is refined by a parabola through the three best scores, and
B_NV = |f_center - D| / gamma (``analysis.physics.b_nv_from_center_t``), or from both transitions when the
sweep has two windows. No uncertainties: b_nv_err_t is NaN.
"""

from dataclasses import dataclass, field

import numpy as np

from analysis import physics

PLACEHOLDER_FWHM_HZ = 1.0e6  # a typical widefield CW line width (DESIGN section 2: 0.5-1.5 MHz)


@dataclass(frozen=True)
class PlaceholderOdmrResult:
    """Maps (rows, cols); for two transitions center_hz, fwhm_hz, contrast have a last axis of 2."""

    center_hz: np.ndarray
    fwhm_hz: np.ndarray
    contrast: np.ndarray
    converged: np.ndarray
    chi2: np.ndarray
    b_nv_t: np.ndarray
    b_nv_err_t: np.ndarray
    flags: np.ndarray
    model: str = "15N"
    notes: dict = field(default_factory=lambda: {"method": "placeholder matched filter"})


def split_windows(freq_hz, transitions):
    """Index arrays of the sweep's windows: one, or two split at the largest frequency gap."""
    f = np.asarray(freq_hz, dtype=np.float64)
    if transitions == 1:
        return [np.arange(f.size)]
    gap = int(np.argmax(np.abs(np.diff(f)))) + 1
    return [np.arange(gap), np.arange(gap, f.size)]


def _matched_filter(depth, f, isotope, fwhm_hz):
    """Best centre, amplitude (contrast per line) and residual mean square of every pixel (rows of ``depth``)."""
    templates = np.stack([1.0 - physics.odmr_spectrum(f, c, fwhm_hz, 1.0, isotope=isotope) for c in f], axis=1)
    norms = np.einsum("ij,ij->j", templates, templates)
    # choose the centre by the matched-filter SNR (a template cut by the window edge scores lower), then take the
    # least-squares amplitude at that centre
    correlation = depth @ templates.astype(np.float32)
    scores = correlation / np.sqrt(norms).astype(np.float32)
    best = np.argmax(scores, axis=1)
    inner = np.clip(best, 1, f.size - 2)
    rows = np.arange(depth.shape[0])
    s0, s1, s2 = scores[rows, inner - 1], scores[rows, inner], scores[rows, inner + 1]
    curvature = s0 - 2.0 * s1 + s2
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curvature < 0, 0.5 * (s0 - s2) / curvature, 0.0)
    shift = np.clip(np.where(best == inner, shift, 0.0), -1.0, 1.0)
    step = np.gradient(f)[inner]
    center = f[inner] + shift * step
    amplitude = correlation[rows, best] / norms[best]
    residual = depth - amplitude[:, None] * templates[:, best].T
    return center, amplitude, np.mean(residual**2, axis=1)


def placeholder_fit_odmr(cube, freq_hz, model="15N", transitions=1, d_hz=physics.ZERO_FIELD_SPLITTING_HZ):
    """PLACEHOLDER for ``analysis.odmr.fit_odmr``; see the module docstring. ``cube`` (rows, cols, n_freq) is the
    spin contrast PL_on/PL_off (NaN where a step has no data yet)."""
    cube = np.asarray(cube, dtype=np.float32)
    rows, cols, n_freq = cube.shape
    f = np.asarray(freq_hz, dtype=np.float64)
    if f.size != n_freq:
        raise ValueError(f"cube has {n_freq} frequency steps but freq_hz has {f.size}; pass the matching axis.")
    # the on/off ratio is 1 off resonance by construction, so the dip needs no baseline of its own
    depth = np.nan_to_num(1.0 - cube.reshape(-1, n_freq), nan=0.0)
    noise = np.median(np.abs(np.diff(depth, axis=1)), axis=1) / (0.6745 * np.sqrt(2.0)) + 1e-12
    centers, amplitudes, mean_squares = [], [], []
    for idx in split_windows(f, transitions):
        c, a, ms = _matched_filter(np.ascontiguousarray(depth[:, idx]), f[idx], model, PLACEHOLDER_FWHM_HZ)
        centers.append(c)
        amplitudes.append(a)
        mean_squares.append(ms)
    center = np.stack(centers, axis=-1)
    amplitude = np.stack(amplitudes, axis=-1)
    chi2 = np.mean(mean_squares, axis=0) / noise**2
    converged = np.all(amplitude > 3.0 * noise[:, None], axis=-1)
    if transitions == 2:
        b_nv_t = physics.b_nv_from_transitions_t(np.minimum(center[:, 0], center[:, 1]),
                                                 np.maximum(center[:, 0], center[:, 1]))
    else:
        b_nv_t = physics.b_nv_from_center_t(center[:, 0], d_hz)
    shape = (rows, cols) if transitions == 1 else (rows, cols, 2)
    return PlaceholderOdmrResult(
        center_hz=center.reshape(shape), fwhm_hz=np.full(shape, PLACEHOLDER_FWHM_HZ),
        contrast=amplitude.reshape(shape), converged=converged.reshape(rows, cols),
        chi2=chi2.reshape(rows, cols), b_nv_t=np.asarray(b_nv_t).reshape(rows, cols),
        b_nv_err_t=np.full((rows, cols), np.nan), flags=(~converged).astype(np.uint8).reshape(rows, cols),
        model=model)


def placeholder_remove_background(b_nv_map_t, pixel_size_m=None):
    """PLACEHOLDER for ``analysis.background.remove_background``: an ordinary least-squares quadratic surface
    c0 + c1 X + c2 Y + c3 X^2 + c4 XY + c5 Y^2 (X, Y in [-1, 1]) over the finite pixels, not a robust one.
    Returns (background_t, residual_t, info)."""
    b = np.asarray(b_nv_map_t, dtype=np.float64)
    n_rows, n_cols = b.shape
    x, y = np.meshgrid(np.linspace(-1.0, 1.0, n_cols), np.linspace(-1.0, 1.0, n_rows))
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1).reshape(-1, 6)
    ok = np.isfinite(b).ravel()
    if ok.sum() < 6:
        background = np.full(b.shape, np.nan)
        return background, b - background, {"method": "placeholder least squares", "coefficients_t": None}
    coefficients, *_ = np.linalg.lstsq(design[ok], b.ravel()[ok], rcond=None)
    background = (design @ coefficients).reshape(b.shape)
    return background, b - background, {"method": "placeholder least squares", "coefficients_t": coefficients}
