"""fit_odmr: per-pixel CW-ODMR fits of a spectral cube -> resonance maps -> B_NV map, errors and flags."""

from typing import NamedTuple

import numpy as np

from analysis import physics
from analysis.fitting import DEFAULT_MAX_ITER, DEFAULT_TOL_CHI2, STATUS_AT_BOUND, STATUS_CONVERGED

from .driver import STATUS_INVALID, fit_spectra
from .guess import half_depth_width_hz, template_table, transition_windows
from .models import model_offsets_hz, odmr_model, parameter_names
from .preprocess import bin_pixels, bin_sigma, binned_mask, check_inputs
from .result import AT_BOUND, INVALID_DATA, LOW_CONTRAST, MASKED, NOT_CONVERGED, OdmrFitResult

BRANCHES = ("minus", "plus")


def fit_odmr(cube, freq_hz, model="15N", transitions=1, *, n_lines=None, mask=None, binning=1, sigma=None,
             absolute_sigma=False, d_hz=physics.ZERO_FIELD_SPLITTING_HZ, branch="minus", split_hz=None,
             fwhm_guess_hz=None, min_contrast=1e-3, max_iter=DEFAULT_MAX_ITER, tol_chi2=DEFAULT_TOL_CHI2):
    """Fit a CW-ODMR line model to every pixel's spectrum.

    cube: (rows, cols, n_freq) PL counts or spin contrast (dips are minima); freq_hz: (n_freq,) in Hz.
    model: "lorentzian", "15N" (doublet, 3.03 MHz), "14N" (triplet, 2.16 MHz) or "free" (``n_lines`` free
    Lorentzians sharing the baseline). transitions: 1 (B_NV = (D - f)/gamma with D = ``d_hz``; ``branch``
    "minus" for f-, "plus" for f+: B_NV = (f - D)/gamma) or 2 (f- and f+ in two windows -> B_NV and D per
    pixel; the windows split at ``split_hz``, else at a gap in the sweep, else between the two deepest
    dips of the mean spectrum). mask: bool map of pixels to fit (full or binned shape). binning: average
    bin x bin pixel blocks first. sigma: per-point standard deviation (broadcastable to the cube) for a
    weighted fit; without it (or with absolute_sigma False) the covariance is scaled by the reduced chi2.
    fwhm_guess_hz: starting FWHM (else from a fit of the mean spectrum). min_contrast: LOW_CONTRAST flag
    threshold per line. max_iter, tol_chi2: see ``analysis.fitting.lm``.

    Runs numba-parallel over pixels with the GIL released, so it can run in a worker thread.
    Returns an ``OdmrFitResult``.
    """
    data_cube, freq, n_groups = check_inputs(cube, freq_hz, model, transitions, n_lines)
    if branch not in BRANCHES:
        raise ValueError(f"branch {branch!r} is not known; use 'minus' (the line is f-) or 'plus' (f+).")
    physics.validation.require_finite("d_hz", d_hz, "Hz")
    full_shape = data_cube.shape[:2]
    binned = bin_pixels(data_cube, binning)
    rows, cols, n = binned.shape
    selected = binned_mask(mask, full_shape, (rows, cols), int(binning))
    order = np.argsort(freq)
    if np.any(order != np.arange(n)):
        freq, binned = freq[order], binned[:, :, order]
    data = np.ascontiguousarray(binned.reshape(rows * cols, n))
    if sigma is None:
        weights = np.empty((0, n))
    else:
        s = bin_sigma(sigma, data_cube.shape, int(binning))[:, :, order].reshape(rows * cols, n)
        if not np.all(s > 0):
            raise ValueError("sigma must be positive and finite everywhere; give per-point standard deviations.")
        weights = np.ascontiguousarray(1.0 / s)

    offsets = model_offsets_hz(model)
    origin_hz = float(np.round(np.mean(freq), -3))
    x = np.ascontiguousarray((freq - origin_hz)[None, :])
    mean_spectrum = _mean_spectrum(data, selected.ravel())
    windows = transition_windows(freq, mean_spectrum, offsets, transitions,
                                 None if split_hz is None else float(split_hz))
    step_hz = float(np.median(np.diff(freq)))
    setup = _FitSetup(
        x=x, offsets=offsets, table=template_table(x[0], offsets, windows), windows=windows,
        group_window=np.repeat(np.arange(transitions), n_groups // transitions).astype(np.int64),
        fwhm_bounds=np.array([0.5 * step_hz, float(freq[-1] - freq[0])]), step_hz=step_hz,
        max_iter=int(max_iter), tol_chi2=float(tol_chi2),
    )
    fwhm_start, template = _fit_mean_spectrum(setup, fwhm_guess_hz, freq, mean_spectrum)
    params, cov, chi2, reduced, n_iter, status = _run(setup, data, weights, selected.ravel(), fwhm_start,
                                                      sigma is None or not absolute_sigma, template)
    for g in range(n_groups):
        params[:, 3 + 3 * g] += origin_hz
    return _assemble(model, transitions, int(binning), freq, (rows, cols), selected, params, cov, chi2, reduced,
                     n_iter, status, setup.group_window, float(d_hz), branch, float(min_contrast))


class _FitSetup(NamedTuple):
    """What every pixel's fit shares: the frequency axis relative to its origin, the model's line offsets,
    the matched filter's sampling table, the transition windows, each group's window, bounds, settings."""

    x: np.ndarray
    offsets: np.ndarray
    table: tuple
    windows: np.ndarray
    group_window: np.ndarray
    fwhm_bounds: np.ndarray
    step_hz: float
    max_iter: int
    tol_chi2: float

    def smooth_half_width(self, fwhm_hz):
        """Guess smoothing: a moving average over about a quarter of the narrowest starting width."""
        return int(np.clip(0.25 * np.min(fwhm_hz) / self.step_hz, 0, self.x.shape[1] // 10))


_NO_TEMPLATE = (np.empty(0), np.empty(0))


def _run(setup, data, weights, selected, fwhm_start, scale_covariance, template=_NO_TEMPLATE, max_iter=None):
    m, p = data.shape[0], 1 + 3 * setup.group_window.shape[0]
    out = (np.empty((m, p)), np.empty((m, p, p)), np.empty(m), np.empty(m), np.empty(m, dtype=np.int64),
           np.empty(m, dtype=np.uint8))
    fit_spectra(odmr_model, setup.x, data, weights, selected, setup.offsets, setup.table[0], setup.table[1],
                setup.windows, setup.group_window, np.ascontiguousarray(fwhm_start, dtype=np.float64),
                setup.smooth_half_width(fwhm_start), setup.fwhm_bounds, template[0], template[1],
                setup.max_iter if max_iter is None else max_iter, setup.tol_chi2, bool(scale_covariance), *out)
    return out


_MEAN_SPECTRUM_PIXELS = 4096


def _mean_spectrum(data, selected):
    """Mean of up to 4096 selected, finite spectra spread over the image, each normalised by its median."""
    candidates = np.flatnonzero(selected)
    if candidates.size > _MEAN_SPECTRUM_PIXELS:
        candidates = candidates[:: candidates.size // _MEAN_SPECTRUM_PIXELS]
    rows = data[candidates]
    rows = rows[np.all(np.isfinite(rows), axis=1)]
    if rows.shape[0] == 0:
        raise ValueError("no pixel has a finite spectrum inside the mask; nothing to fit.")
    med = _row_medians(rows)
    rows = rows[med > 0] / med[med > 0, None]
    if rows.shape[0] == 0:
        raise ValueError("every selected spectrum has a median <= 0; give PL counts or spin contrast (positive).")
    return np.ascontiguousarray(rows.mean(axis=0))


def _row_medians(rows):
    """np.median(rows, axis=1) for finite rows, 4 x faster: one partition, without np.median's NaN checks."""
    n = rows.shape[1]
    middle = n // 2
    if n % 2:
        return np.partition(rows, middle, axis=1)[:, middle]
    parted = np.partition(rows, (middle - 1, middle), axis=1)
    return (parted[:, middle - 1] + parted[:, middle]) / 2.0


def _fit_mean_spectrum(setup, fwhm_guess_hz, freq, mean_spectrum):
    """Starting widths per group and, for several lines per window, the second start's template.

    Widths: the user's ``fwhm_guess_hz``, else those of a fit of the field's mean spectrum (started at its
    half-depth width), its groups put in each window's depth order as the per-pixel guess finds them.
    Template (several free lines in one window, where peeling overlapping lines is fragile): that fit and
    its own starting guess, from which ``driver._template_start`` moves the fit onto each pixel.
    """
    n_groups = setup.group_window.shape[0]
    if fwhm_guess_hz is not None:
        widths = np.broadcast_to(np.asarray(fwhm_guess_hz, dtype=np.float64), (n_groups,)).copy()
        if not np.all(widths > 0):
            raise ValueError(f"fwhm_guess_hz = {fwhm_guess_hz!r} must be positive (Hz).")
        return np.clip(widths, *setup.fwhm_bounds), _NO_TEMPLATE
    gw = setup.group_window
    widths = np.clip([half_depth_width_hz(freq, mean_spectrum, setup.windows[w]) for w in gw], *setup.fwhm_bounds)
    mean = mean_spectrum[None, :]
    no_weights = np.empty((0, len(freq)))
    one = np.ones(1, dtype=bool)
    params, _, _, _, _, status = _run(setup, mean, no_weights, one, widths, True)
    fitted = params[0]
    if not (status[0] & STATUS_CONVERGED) or not np.all(np.isfinite(fitted)):
        return np.ascontiguousarray(widths), _NO_TEMPLATE
    fitted = _depth_ordered(fitted, gw, setup.offsets)
    widths = np.clip(fitted[2::3], *setup.fwhm_bounds)
    if n_groups == setup.windows.shape[0]:
        return widths, _NO_TEMPLATE
    guess = _run(setup, mean, no_weights, one, widths, True, max_iter=0)[0][0]
    return widths, (np.ascontiguousarray(fitted), np.ascontiguousarray(guess))


def _depth_ordered(params, group_window, offsets):
    """Reorder the groups of each window deepest first: peak depth C * sum_k L(o_j; o_k, w) at the lines."""
    out = params.copy()
    for w in np.unique(group_window):
        groups = np.flatnonzero(group_window == w)
        depth = [params[1 + 3 * g] * np.mean([physics.lorentzian(offsets, o, params[2 + 3 * g]).sum()
                                              for o in offsets]) for g in groups]
        for g_to, g_from in zip(groups, groups[np.argsort(depth)[::-1]], strict=True):
            out[1 + 3 * g_to: 4 + 3 * g_to] = params[1 + 3 * g_from: 4 + 3 * g_from]
    return out


def _block_sum(cov, rows, cols):
    """sum over a, b of cov[:, rows[a], cols[b]], per pixel: one gather (a single element: a strided copy, 10 x
    faster than a fancy-indexed (m, 1, 1) block summed over two axes of length 1; the same values)."""
    if len(rows) == 1 and len(cols) == 1:
        return cov[:, rows[0], cols[0]].copy()
    return cov[:, rows][:, :, cols].sum(axis=(1, 2))


def _assemble(model, transitions, binning, freq, shape, selected, params, cov, chi2, reduced, n_iter, status,
              group_window, d_hz, branch, min_contrast):
    rows, cols = shape
    m, p = params.shape
    n_groups = (p - 1) // 3
    err = np.sqrt(np.abs(np.diagonal(cov, axis1=1, axis2=2)))
    contrast, contrast_err = params[:, 1::3], err[:, 1::3]
    centers = np.empty((m, transitions))
    center_var = np.empty((m, transitions))
    for t in range(transitions):
        idx = 3 + 3 * np.flatnonzero(group_window == t)
        centers[:, t] = params[:, idx[0]] if len(idx) == 1 else params[:, idx].mean(axis=1)
        center_var[:, t] = _block_sum(cov, idx, idx) / len(idx) ** 2
    gamma = physics.GYROMAGNETIC_RATIO_HZ_PER_T
    extra = {}
    if transitions == 1:
        convert = physics.b_nv_from_f_minus_t if branch == "minus" else physics.b_nv_from_f_plus_t
        b_nv = convert(centers[:, 0], d_hz)
        b_err = np.sqrt(center_var[:, 0]) / gamma
        extra.update(assumed_d_hz=d_hz, branch=branch)
    else:
        idx_minus = 3 + 3 * np.flatnonzero(group_window == 0)
        idx_plus = 3 + 3 * np.flatnonzero(group_window == 1)
        cross = _block_sum(cov, idx_minus, idx_plus) / (len(idx_minus) * len(idx_plus))
        b_nv = physics.b_nv_from_transitions_t(centers[:, 0], centers[:, 1])
        b_err = np.sqrt(np.maximum(center_var.sum(axis=1) - 2.0 * cross, 0.0)) / (2.0 * gamma)
        d_map = physics.d_from_transitions_hz(centers[:, 0], centers[:, 1])
        d_err = np.sqrt(np.maximum(center_var.sum(axis=1) + 2.0 * cross, 0.0)) / 2.0
        extra.update(d_hz=d_map.reshape(shape), d_err_hz=d_err.reshape(shape))

    fitted = selected.ravel() & ((status & STATUS_INVALID) == 0)
    converged = fitted & ((status & STATUS_CONVERGED) > 0)
    flags = np.zeros(m, dtype=np.uint8)
    flags[~converged] |= NOT_CONVERGED
    flags[(status & STATUS_AT_BOUND) > 0] |= AT_BOUND
    weak = np.any((contrast < min_contrast) | (contrast < 3.0 * contrast_err) | ~np.isfinite(contrast_err), axis=1)
    flags[fitted & weak] |= LOW_CONTRAST
    flags[~selected.ravel()] |= MASKED
    flags[(status & STATUS_INVALID) > 0] |= INVALID_DATA

    def per_group(a):
        return a.reshape(rows, cols) if n_groups == 1 else a.reshape(rows, cols, n_groups)

    def per_transition(a):
        return a.reshape(rows, cols) if transitions == 1 else a.reshape(rows, cols, transitions)

    return OdmrFitResult(
        model=model, transitions=transitions, binning=binning, param_names=parameter_names(n_groups), freq_hz=freq,
        params=params.reshape(rows, cols, p), param_err=err.reshape(rows, cols, p),
        param_cov=cov.reshape(rows, cols, p, p),
        center_hz=per_transition(centers), center_err_hz=per_transition(np.sqrt(center_var)),
        fwhm_hz=per_group(params[:, 2::3]), fwhm_err_hz=per_group(err[:, 2::3]),
        contrast=per_group(contrast), contrast_err=per_group(contrast_err), baseline=params[:, 0].reshape(shape),
        b_nv_t=b_nv.reshape(shape), b_nv_err_t=b_err.reshape(shape), chi2=chi2.reshape(shape),
        reduced_chi2=reduced.reshape(shape), n_iter=n_iter.reshape(shape), flags=flags.reshape(shape),
        converged=converged.reshape(shape), **extra,
    )
