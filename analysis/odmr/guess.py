"""Per-pixel starting values for the ODMR fits, robust to lines far from the field of view's average.

Each pixel is guessed from its own spectrum, never from the image average (a pixel on a strong dipole has
its line shifted by many widths): the spectrum is smoothed along frequency (moving average of about a
quarter of the line width), turned into a dip-depth profile r = 1 - s / max(s), and matched-filtered with
the group's hyperfine template, score(f) = mean_k r(f + o_k). The score's maximum in the group's window
(refined by a parabola through its neighbours) is the centre; the contrast follows from the depth; the
width comes from a fit of the field of view's mean spectrum (widths vary far less than centres). Several
groups in one window (free Lorentzians) are found one after another, subtracting each guessed line
from r before looking for the next ("peeling").
"""

import numpy as np

from analysis import physics
from analysis.fitting.leaf import njit_leaf


@njit_leaf(error_model="numpy")
def moving_average(y, half_width, out):
    """out[i] = mean of y[i - h : i + h + 1], the window shrinking at the ends.

    Interior points as 2h + 1 shifted sums over i (inner loops that vectorise), the shrinking ends
    directly: this runs once per pixel."""
    n = y.shape[0]
    h = max(0, half_width)
    if 2 * h + 1 > n:
        for i in range(n):
            _window_mean(y, i, h, out)
        return
    for i in range(h):
        _window_mean(y, i, h, out)
    for i in range(n - h, n):
        _window_mean(y, i, h, out)
    for i in range(h, n - h):
        out[i] = y[i - h]
    for d in range(1 - h, h + 1):
        for i in range(h, n - h):
            out[i] += y[i + d]
    inverse_count = 1.0 / (2 * h + 1)
    for i in range(h, n - h):
        out[i] *= inverse_count


@njit_leaf(error_model="numpy")
def _window_mean(y, i, h, out):
    lo = max(0, i - h)
    hi = min(y.shape[0], i + h + 1)
    total = 0.0
    for j in range(lo, hi):
        total += y[j]
    out[i] = total / (hi - lo)


def template_table(f, offsets, windows):
    """Where the matched filter samples the depth profile: for centre f[i] and line k, the point f[i] + o_k
    lies between f[j - 1] and f[j] at fraction t. Returns (j, t), each (n, K); j = -1 where f[i] + o_k falls
    outside f[i]'s window (that line then contributes no depth). The same for every pixel, so made once.
    """
    n, n_offsets = f.shape[0], offsets.shape[0]
    index = np.full((n, n_offsets), -1, dtype=np.int64)
    weight = np.zeros((n, n_offsets))
    for lo, hi in windows:
        fw = f[lo:hi]
        for k, o in enumerate(offsets):
            q = fw + o
            inside = (q >= fw[0]) & (q <= fw[-1])
            j = np.clip(np.searchsorted(fw, q), 1, len(fw) - 1)
            t = (q - fw[j - 1]) / (fw[j] - fw[j - 1])
            index[lo:hi, k] = np.where(inside, j + lo, -1)
            weight[lo:hi, k] = np.where(inside, t, 0.0)
    return index, weight


@njit_leaf(error_model="numpy")
def _template_peak(offsets, fwhm):
    """mean_j sum_k L(o_j; o_k, w): the depth, per unit line contrast, at the multiplet's lines."""
    total = 0.0
    for j in range(offsets.shape[0]):
        for k in range(offsets.shape[0]):
            total += physics.lorentzian(offsets[j], offsets[k], fwhm)
    return total / offsets.shape[0]


@njit_leaf(fastmath=True, error_model="numpy")
def _finite_max(a, lo, hi):
    """max of a[lo:hi] (hi > lo), for finite values only (the driver rejects non-finite spectra first):
    without NaN semantics the comparison loop vectorises."""
    best = a[lo]
    for i in range(lo + 1, hi):
        best = max(best, a[i])
    return best


@njit_leaf(error_model="numpy")
def guess_pixel(f, y, offsets, table_index, table_weight, windows, group_window, fwhm, smooth_half, smoothed,
                depth, score, params, lower, upper, fwhm_bounds):
    """Fill ``params`` (start) and ``lower``/``upper`` (bounds) for one spectrum y(f); returns the PL scale.

    f (n,) frequencies relative to the fit origin (Hz), sorted; y (n,) PL; table_index, table_weight from
    ``template_table``; windows (W, 2) index ranges
    [lo, hi) of the transitions' windows; group_window (G,) the window of each group; fwhm (G,) starting
    widths (Hz); smoothed, depth, score (n,) scratch. The start is for y divided by the returned scale.
    Returns 0 when the spectrum has no positive maximum (the caller flags it as invalid data).
    """
    n = y.shape[0]
    moving_average(y, smooth_half, smoothed)
    scale = _finite_max(smoothed, 0, n)
    if not (scale > 0.0) or not np.isfinite(scale):
        return 0.0
    inverse_scale = 1.0 / scale
    for i in range(n):
        depth[i] = 1.0 - smoothed[i] * inverse_scale
    params[0] = 1.0
    lower[0] = 0.0
    upper[0] = np.inf
    n_offsets = offsets.shape[0]
    inverse_offsets = 1.0 / n_offsets
    for g in range(group_window.shape[0]):
        lo = windows[group_window[g], 0]
        hi = windows[group_window[g], 1]
        # the matched filter without branches (a line outside the window adds 0), then its maximum apart:
        # two simple loops the compiler pipelines, instead of one with a data-dependent branch per point
        for i in range(lo, hi):
            score[i] = 0.0
        for k in range(n_offsets):
            for i in range(lo, hi):
                j = table_index[i, k]
                jj = max(j, 1)
                inside = inverse_offsets if j >= 0 else 0.0
                score[i] += inside * (depth[jj - 1] + table_weight[i, k] * (depth[jj] - depth[jj - 1]))
        best = lo
        peak = _finite_max(score, lo, hi)
        while best < hi - 1 and score[best] != peak:  # the first point at the maximum
            best += 1
        center = f[best]
        if lo < best < hi - 1:
            curvature = score[best - 1] - 2.0 * score[best] + score[best + 1]
            if curvature < 0.0:
                shift = min(max(0.5 * (score[best - 1] - score[best + 1]) / curvature, -1.0), 1.0)
                center += shift * 0.5 * (f[best + 1] - f[best - 1])
        width = min(max(fwhm[g], fwhm_bounds[0]), fwhm_bounds[1])
        contrast = min(max(score[best] / _template_peak(offsets, width), 1e-4), 0.9)
        if g + 1 < group_window.shape[0] and group_window[g + 1] == group_window[g]:
            for i in range(lo, hi):
                for k in range(n_offsets):
                    depth[i] -= contrast * physics.lorentzian(f[i], center + offsets[k], width)
        j = 1 + 3 * g
        params[j] = contrast
        params[j + 1] = width
        params[j + 2] = center
        lower[j] = 0.0
        upper[j] = 1.0
        lower[j + 1] = fwhm_bounds[0]
        upper[j + 1] = fwhm_bounds[1]
        lower[j + 2] = f[lo]
        upper[j + 2] = f[hi - 1]
    return scale


def transition_windows(freq_hz, mean_spectrum, offsets_hz, transitions, split_hz=None):
    """Index ranges [lo, hi) of the transitions' frequency windows, shape (transitions, 2).

    One transition: the whole sweep. Two: split at ``split_hz`` if given; else at the largest gap of the
    frequency axis if it is over 5 median steps (two separate sub-sweeps); else midway between the two
    deepest multiplet dips of the field of view's mean spectrum (the second searched outside the first's
    half-depth region widened by the multiplet's span).
    """
    n = freq_hz.shape[0]
    if transitions == 1:
        return np.array([[0, n]], dtype=np.int64)
    steps = np.diff(freq_hz)
    if split_hz is None:
        gap = int(np.argmax(steps))
        if steps[gap] > 5.0 * np.median(steps):
            split_hz = 0.5 * (freq_hz[gap] + freq_hz[gap + 1])
        else:
            split_hz = _split_between_dips(freq_hz, mean_spectrum, offsets_hz)
    cut = int(np.searchsorted(freq_hz, split_hz))
    if min(cut, n - cut) < 6:
        raise ValueError(
            f"the split between the two transitions, {split_hz / 1e9:.6f} GHz, leaves {cut} and {n - cut} "
            "frequency points on either side; give split_hz between the two dips, with at least 6 points each."
        )
    return np.array([[0, cut], [cut, n]], dtype=np.int64)


def _split_between_dips(freq_hz, mean_spectrum, offsets_hz):
    smoothed = np.convolve(mean_spectrum, np.ones(3) / 3.0, mode="same")
    smoothed[[0, -1]] = mean_spectrum[[0, -1]]
    depth = 1.0 - smoothed / smoothed.max()
    score = np.mean([np.interp(freq_hz + o, freq_hz, depth, left=0.0, right=0.0) for o in offsets_hz], axis=0)
    first = int(np.argmax(score))
    half = score >= 0.5 * score[first]
    lo, hi = first, first
    while lo > 0 and half[lo - 1]:
        lo -= 1
    while hi < len(score) - 1 and half[hi + 1]:
        hi += 1
    span = np.ptp(offsets_hz)
    excluded = (freq_hz >= freq_hz[lo] - span) & (freq_hz <= freq_hz[hi] + span)
    second = int(np.argmax(np.where(excluded, -np.inf, score)))
    return 0.5 * (freq_hz[first] + freq_hz[second])


def half_depth_width_hz(freq_hz, mean_spectrum, window):
    """Full width at half depth (Hz) of the deepest dip of the mean spectrum inside ``window`` = (lo, hi)."""
    lo, hi = int(window[0]), int(window[1])
    f = freq_hz[lo:hi]
    y = np.convolve(mean_spectrum[lo:hi], np.ones(3) / 3.0, mode="same")
    y[[0, -1]] = mean_spectrum[lo:hi][[0, -1]]
    depth = 1.0 - y / y.max()
    centre = int(np.argmax(depth))
    half = 0.5 * depth[centre]
    left, right = centre, centre
    while left > 0 and depth[left - 1] > half:
        left -= 1
    while right < len(f) - 1 and depth[right + 1] > half:
        right += 1
    # the half-depth crossings lie between the last point above half depth and the next one out
    outer_right = f[min(right + 1, len(f) - 1)]
    outer_left = f[max(left - 1, 0)]
    return float(0.5 * (f[right] + outer_right) - 0.5 * (f[left] + outer_left))
