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
    directly: this runs once per pixel. The shifted rows are views indexed from 0: an index that may be
    negative (y[i + d], d < 0) makes numba add a wrap-around select to every load, which stops the loop
    from vectorising (3 x slower)."""
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
    interior = n - 2 * h
    centre = out[h:]
    for i in range(interior):
        centre[i] = y[i]
    for d in range(1, 2 * h + 1):
        shifted = y[d:]
        for i in range(interior):
            centre[i] += shifted[i]
    inverse_count = 1.0 / (2 * h + 1)
    for i in range(interior):
        centre[i] *= inverse_count


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
    lies between f[j - 1] and f[j] at fraction t, or outside f[i]'s window (that line then adds no depth).
    The same for every pixel, so made once.

    Returns (segments, weight): segments (S, 4) int64 rows (k, start, stop, shift), each a run of centres
    start <= i < stop of one window whose line k samples at j = i + shift; weight (K, n) the fractions t.
    On a uniform frequency grid each line has one run per window (a few where f[i] + o_k falls on a grid
    point up to rounding), so the filter is a few contiguous, vectorised loops instead of a gather.
    """
    n, n_offsets = f.shape[0], offsets.shape[0]
    index = np.full((n_offsets, n), -1, dtype=np.int64)
    weight = np.zeros((n_offsets, n))
    segments = []
    for k, o in enumerate(offsets):
        for lo, hi in windows:
            fw = f[lo:hi]
            q = fw + o
            inside = (q >= fw[0]) & (q <= fw[-1])
            j = np.clip(np.searchsorted(fw, q), 1, len(fw) - 1)
            t = (q - fw[j - 1]) / (fw[j] - fw[j - 1])
            index[k, lo:hi] = np.where(inside, j + lo, -1)
            weight[k, lo:hi] = np.where(inside, t, 0.0)
            shift = index[k, lo:hi] - np.arange(lo, hi)
            start = None
            for i in range(lo, hi + 1):
                ends = i == hi or index[k, i] < 0 or (start is not None and shift[i - lo] != shift[start - lo])
                if start is not None and ends:
                    segments.append((k, start, i, shift[start - lo]))
                    start = None
                if i < hi and index[k, i] >= 0 and start is None:
                    start = i
    return np.array(segments, dtype=np.int64).reshape(-1, 4), weight


@njit_leaf(error_model="numpy")
def _template_peak(offsets, fwhm):
    """mean_j sum_k L(o_j; o_k, w): the depth, per unit line contrast, at the multiplet's lines."""
    total = 0.0
    for j in range(offsets.shape[0]):
        for k in range(offsets.shape[0]):
            total += physics.lorentzian(offsets[j], offsets[k], fwhm)
    return total / offsets.shape[0]


@njit_leaf(error_model="numpy")
def template_peaks(offsets, fwhm, fwhm_bounds, out):
    """out[g] = ``_template_peak`` at group g's starting width (clamped to the bounds, as the guess uses it)."""
    for g in range(fwhm.shape[0]):
        out[g] = _template_peak(offsets, min(max(fwhm[g], fwhm_bounds[0]), fwhm_bounds[1]))


@njit_leaf(fastmath=True, error_model="numpy")
def _finite_max(a, lo, hi):
    """max of a[lo:hi] (hi > lo), for finite values only (the driver rejects non-finite spectra first).

    Four running maxima: LLVM does not vectorise a floating-point max (numba does not mark the function
    NaN-free), so one running maximum is a chain of dependent comparisons; four chains run side by side,
    3 x faster."""
    b = a[lo:hi]
    n = b.shape[0]
    best_0 = best_1 = best_2 = best_3 = b[0]
    stop = n - n % 4
    for i in range(0, stop, 4):
        best_0 = max(best_0, b[i])
        best_1 = max(best_1, b[i + 1])
        best_2 = max(best_2, b[i + 2])
        best_3 = max(best_3, b[i + 3])
    for i in range(stop, n):
        best_0 = max(best_0, b[i])
    return max(max(best_0, best_1), max(best_2, best_3))


@njit_leaf(error_model="numpy")
def _first_index_of(a, lo, hi, value):
    """The first i in [lo, hi) with a[i] == value (hi - 1 if none): an integer minimum, which vectorises
    where a loop that stops at the first match does not."""
    best = hi - 1
    for i in range(lo, hi):
        best = min(best, i if a[i] == value else hi - 1)
    return best


@njit_leaf(error_model="numpy")
def guess_pixel(f, y, offsets, segments, table_weight, windows, group_window, fwhm, smooth_half, smoothed,
                depth, score, params, lower, upper, fwhm_bounds, template_peak):
    """Fill ``params`` (start) and ``lower``/``upper`` (bounds) for one spectrum y(f); returns the PL scale.

    f (n,) frequencies relative to the fit origin (Hz), sorted; y (n,) PL; segments, table_weight from
    ``template_table``; windows (W, 2) index ranges [lo, hi) of the transitions' windows; group_window (G,)
    the window of each group; fwhm (G,) starting widths (Hz); template_peak (G,) ``_template_peak`` of each
    group's starting width (the same for every pixel, so made once by the caller); smoothed, depth, score
    (n,) scratch. The start is for y divided by the returned scale.
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
        # the matched filter, one contiguous run of centres at a time (see ``template_table``); views indexed
        # from 0 keep numba's wrap-around select off the loads, so the loop vectorises
        for i in range(lo, hi):
            score[i] = 0.0
        for r in range(segments.shape[0]):
            start = segments[r, 1]
            stop = segments[r, 2]
            if start < lo or stop > hi:
                continue  # another window's run
            j = start + segments[r, 3]
            below = depth[j - 1:]
            above = depth[j:]
            t = table_weight[segments[r, 0], start:]
            out = score[start:]
            for i in range(stop - start):
                out[i] += inverse_offsets * (below[i] + t[i] * (above[i] - below[i]))
        best = _first_index_of(score, lo, hi, _finite_max(score, lo, hi))  # the first point at the maximum
        center = f[best]
        if lo < best < hi - 1:
            curvature = score[best - 1] - 2.0 * score[best] + score[best + 1]
            if curvature < 0.0:
                shift = min(max(0.5 * (score[best - 1] - score[best + 1]) / curvature, -1.0), 1.0)
                center += shift * 0.5 * (f[best + 1] - f[best - 1])
        width = min(max(fwhm[g], fwhm_bounds[0]), fwhm_bounds[1])
        contrast = min(max(score[best] / template_peak[g], 1e-4), 0.9)
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
