"""Spectra helpers shared by the live acquisition and review mode: the model curve of a fitted pixel (from a live
fit result or from the fit maps a session file stores) and the step with the deepest dip."""

import numpy as np

from analysis import physics


def fit_curve(fit, row, col, freq_hz, window_sizes, model, points_per_window=300):
    """(freq_hz, model PL) at pixel (row, col) on a dense grid over each frequency window (windows separated by
    NaN), or None where the pixel has no usable fit. ``fit`` has maps ``center_hz`` ((rows, cols) or
    (rows, cols, 2)), ``fwhm_hz``, ``contrast`` and optionally ``baseline``; ``freq_hz``: the steps that went
    into the fit; ``window_sizes``: steps per window."""
    center_map = np.asarray(fit.center_hz)
    if not (0 <= row < center_map.shape[0] and 0 <= col < center_map.shape[1]):
        return None
    freq_hz = np.asarray(freq_hz, dtype=np.float64)
    starts = np.cumsum((0,) + tuple(window_sizes))[:-1]
    pieces = []
    for start, size in zip(starts, window_sizes, strict=True):
        window = freq_hz[start:start + size]
        if window.size:
            pieces.append(np.linspace(window.min(), window.max(), points_per_window))
    if not pieces:
        return None
    dense = np.concatenate([np.append(p, np.nan) for p in pieces])[:-1]
    centers = np.atleast_1d(center_map[row, col]).astype(np.float64)
    fwhm = float(np.atleast_1d(np.asarray(fit.fwhm_hz)[row, col])[0])
    contrast = float(np.atleast_1d(np.asarray(fit.contrast)[row, col])[0])
    if not (np.all(np.isfinite(centers)) and np.isfinite(fwhm) and fwhm > 0 and np.isfinite(contrast)):
        return None
    baseline = getattr(fit, "baseline", None)  # the fitted off-resonance level (1 for a spin contrast)
    pl0 = float(np.atleast_1d(np.asarray(baseline)[row, col])[0]) if baseline is not None else 1.0
    finite = np.isfinite(dense)
    curve = np.full(dense.shape, np.nan)
    curve[finite] = physics.odmr_spectrum(dense[finite], centers, fwhm, contrast,
                                          pl0=pl0 if np.isfinite(pl0) else 1.0, isotope=model)
    return dense, curve


def deepest_step(cube):
    """Index of the step of a (n_steps, rows, cols) spin-contrast cube with the deepest mean dip (steps with no
    data never win), or None when no step has data. After a sweep this is the contrast image worth showing."""
    flat = cube.reshape(cube.shape[0], -1)
    finite = np.isfinite(flat)
    counts = finite.sum(axis=1)
    if not counts.any():
        return None
    means = np.where(finite, flat, 0.0).sum(axis=1) / np.maximum(counts, 1)
    return int(np.argmin(np.where(counts > 0, means, np.inf)))
