"""The adaptive CW-ODMR planner: from fitted lines to the next sweep's frequencies and pairs per frequency.

Three parts share the pairs budget of the next sweep:
- baseline (``baseline_share``, half on each side of the lines): a few points on the flat baseline, at least
  two FWHM beyond the outermost line of every pixel, so that contrast and width stay well fitted;
- exploration (``exploration_share``): an even grid over the whole original window, so that a line that moved
  (drift, a new cell) is still seen and the fitter's start still finds it;
- the rest: ``fisher.optimise_design`` on a fine candidate grid, minimising the mean centre variance over a
  deterministic sample of the field of view's pixels (their fitted centre, width and contrast), counting what
  the earlier passes and the two fixed shares already measured.
Frequencies are sorted; a frequency in several parts gets the sum of their pairs. Two transitions (f-, f+):
each window is planned from its own lines. Qt-free, no instruments.
"""

from dataclasses import dataclass, field

import numpy as np

from analysis.odmr import AT_BOUND, INVALID_DATA, MASKED, NOT_CONVERGED, model_offsets_hz

from . import fisher

_BASELINE_CLEARANCE_FWHM = 2.0  # a unit-peak Lorentzian is below 6 % of its peak two FWHM from its centre
_BASELINE_POINTS_PER_SIDE = 3
_UNIFORM_POINTS = 101  # the uniform sweep that predicted_gain compares with (the paper's 101 steps)
_BAD_FLAGS = NOT_CONVERGED | AT_BOUND | MASKED | INVALID_DATA


class AdaptivePlanError(ValueError):
    """The inputs do not allow an adaptive plan (no usable fitted pixel, a budget too small, ...)."""


@dataclass(frozen=True)
class AdaptivePlan:
    """The next sweep: sorted frequencies (Hz) and on/off pairs per frequency, with how the pairs were shared.

    ``SweepPlan(plan.freq_hz, pairs_per_step=plan.pairs_per_step, ...)`` runs it. predicted_gain: the median
    over the sampled pixels of (centre variance with the same pairs spread evenly over 101 points of the window) /
    (centre variance with this plan), earlier passes included in both (two transitions: the ratio of the
    summed mean variances, the B_NV map's).
    """

    freq_hz: np.ndarray
    pairs: np.ndarray
    shares_pairs: dict = field(default_factory=dict)
    predicted_gain: float = float("nan")
    notes: tuple = ()
    mean_centre_variance: float = float("nan")
    """Mean over the sampled pixels of the centre's predicted variance with this plan (MHz^2 x one pair's noise
    variance of the normalised spectrum): a relative figure, for comparing plans."""
    uniform_mean_centre_variance: float = float("nan")

    @property
    def pairs_per_step(self):
        return tuple(int(n) for n in self.pairs)

    @property
    def total_pairs(self):
        return int(self.pairs.sum())

    def to_dict(self):
        """JSON-ready record of the plan, for the session's metadata."""
        return {"freq_hz": [float(f) for f in self.freq_hz], "pairs_per_step": list(self.pairs_per_step),
                "shares_pairs": {k: int(v) for k, v in self.shares_pairs.items()},
                "predicted_gain": float(self.predicted_gain), "notes": list(self.notes)}


def plan_adaptive_sweep(fit, window_hz, total_pairs, *, previous_freq_hz=None, previous_pairs=None, **options):
    """Plan the next sweep from a fit of the previous pass (an ``analysis.odmr.OdmrFitResult``).

    window_hz: (lo, hi) the original sweep window, or ((lo-, hi-), (lo+, hi+)) for a two-transition fit, whose
    windows are planned each from its own lines, the pairs split between them as sqrt(each window's centre
    variance) (which minimises var(f-) + var(f+), the B_NV map's variance); total_pairs: on/off pairs the next
    sweep may spend; previous_freq_hz, previous_pairs: what the pass(es) already taken measured (default: the
    fit's frequencies with one pair each, which hardly shapes the plan: give them when known).
    options: see ``plan_from_lines``.
    """
    if fit.model == "free":
        raise AdaptivePlanError("the adaptive planner takes a multiplet fit ('lorentzian', '15N', '14N'), whose "
                                "centre is the transition's; got model 'free': refit with the isotope's model.")
    if previous_freq_hz is None:
        previous_freq_hz, previous_pairs = fit.freq_hz, np.ones(len(fit.freq_hz))
    prev_f = np.asarray(previous_freq_hz, dtype=np.float64)
    prev_n = np.broadcast_to(np.asarray(previous_pairs, dtype=np.float64), prev_f.shape)
    offsets = model_offsets_hz(fit.model)
    lines = _usable_lines(fit)
    if fit.transitions == 1:
        return plan_from_lines(*lines[0], offsets, window_hz, total_pairs, previous_freq_hz=prev_f,
                               previous_pairs=prev_n, **options)
    windows = np.asarray(window_hz, dtype=np.float64)
    if windows.shape != (2, 2):
        raise AdaptivePlanError(f"window_hz = {window_hz!r}: a two-transition fit needs ((lo-, hi-), (lo+, hi+)).")

    def plan_window(t, pairs):
        inside = (prev_f >= windows[t, 0]) & (prev_f <= windows[t, 1])
        return plan_from_lines(*lines[t], offsets, windows[t], pairs, previous_freq_hz=prev_f[inside],
                               previous_pairs=prev_n[inside], **options)

    half = [plan_window(t, int(total_pairs) // 2) for t in (0, 1)]
    root = np.sqrt([p.mean_centre_variance for p in half])
    first = int(round(int(total_pairs) * root[0] / root.sum()))
    plans = [plan_window(0, first), plan_window(1, int(total_pairs) - first)]
    freq, pairs = _merge(np.concatenate([p.freq_hz for p in plans]), np.concatenate([p.pairs for p in plans]))
    shares = {k: sum(p.shares_pairs[k] for p in plans) for k in plans[0].shares_pairs}
    uniform = sum(p.uniform_mean_centre_variance for p in plans)
    adaptive = sum(p.mean_centre_variance for p in plans)
    notes = tuple(f"{name}: {note}" for name, p in zip(("f-", "f+"), plans, strict=True) for note in p.notes)
    return AdaptivePlan(freq, pairs, shares, uniform / adaptive, notes, adaptive, uniform)


def _usable_lines(fit):
    """Per transition: (centre, FWHM, contrast) of the pixels whose fit is clean, as flat arrays."""
    out = []
    for t in range(fit.transitions):
        def pick(a, t=t):
            return a if fit.transitions == 1 else a[..., t]
        c, w, a = pick(fit.center_hz), pick(fit.fwhm_hz), pick(fit.contrast)
        ok = ((fit.flags & _BAD_FLAGS) == 0) & np.isfinite(c) & np.isfinite(w) & np.isfinite(a) & (a > 0) & (w > 0)
        out.append((c[ok], w[ok], a[ok]))
    return out


def plan_from_lines(centers_hz, fwhm_hz, contrast, offsets_hz, window_hz, total_pairs, *, previous_freq_hz=(),
                    previous_pairs=(), baseline_share=0.10, exploration_share=0.10, exploration_points=21,
                    min_pairs_per_step=1, candidate_step_hz=None, max_pixels=256, iterations=300):
    """The core of ``plan_adaptive_sweep`` on plain arrays: per-pixel centre, FWHM and contrast per line (any
    shape, flattened), the model's hyperfine ``offsets_hz``. Returns an ``AdaptivePlan``."""
    lo, hi = (float(v) for v in window_hz)
    total = int(total_pairs)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise AdaptivePlanError(f"window_hz = {window_hz!r} must be (lo, hi) with 0 < lo < hi, in Hz.")
    if not (0 <= baseline_share < 1 and 0 <= exploration_share < 1 and baseline_share + exploration_share < 1):
        raise AdaptivePlanError(f"baseline_share = {baseline_share}, exploration_share = {exploration_share}: each "
                                "in [0, 1) and together below 1.")
    offsets = np.asarray(offsets_hz, dtype=np.float64)
    pixels = _sample_pixels(centers_hz, fwhm_hz, contrast, int(max_pixels))
    c, w, amp = pixels
    explore_pairs = int(round(exploration_share * total))
    n_explore = int(min(exploration_points, explore_pairs))
    n_base = int(round(baseline_share * total))
    n_opt = total - explore_pairs - n_base
    if n_opt < 1 or (exploration_share > 0 and n_explore < 3):
        raise AdaptivePlanError(f"total_pairs = {total} is too small to share between baseline, exploration and "
                                "the flanks; give at least a few hundred pairs.")
    notes = []
    explore_f, explore_n = _even_split(np.linspace(lo, hi, n_explore) if n_explore else np.empty(0), explore_pairs)
    base_f, base_n = _baseline(c, w, offsets, lo, hi, n_base, notes)
    step = float(candidate_step_hz) if candidate_step_hz else float(np.median(w)) / 8.0
    candidates = np.arange(lo, hi + 0.5 * step, step)
    candidates = candidates[candidates <= hi]
    prev_f = np.asarray(previous_freq_hz, dtype=np.float64)
    prev_n = np.asarray(previous_pairs, dtype=np.float64)
    fixed_f = np.concatenate([prev_f, explore_f, base_f])
    fixed_n = np.concatenate([prev_n, explore_n, base_n]).astype(np.float64)
    fixed = fisher.information(fisher.spectrum_gradients(fixed_f, c, w, amp, offsets), fixed_n)
    fixed += _ridge(fixed)
    grads = fisher.spectrum_gradients(candidates, c, w, amp, offsets)
    weights = fisher.optimise_design(grads, fixed, n_opt, iterations=iterations)
    opt_f, opt_n = _round_design(candidates, weights, n_opt, max(int(min_pairs_per_step), 1))
    freq, pairs = _merge(np.concatenate([explore_f, base_f, opt_f]), np.concatenate([explore_n, base_n, opt_n]))
    uniform_f = np.linspace(lo, hi, _UNIFORM_POINTS)
    uniform = fisher.centre_variance(fixed - fisher.information(
        fisher.spectrum_gradients(np.concatenate([explore_f, base_f]), c, w, amp, offsets),
        np.concatenate([explore_n, base_n])) + fisher.information(
        fisher.spectrum_gradients(uniform_f, c, w, amp, offsets), np.full(len(uniform_f), total / len(uniform_f))))
    adaptive = fisher.centre_variance(fixed + fisher.information(
        fisher.spectrum_gradients(opt_f, c, w, amp, offsets), opt_n))
    gain = float(np.median(uniform / adaptive))
    shares = {"exploration": int(explore_n.sum()), "baseline": int(base_n.sum()), "flanks": int(opt_n.sum())}
    return AdaptivePlan(freq, pairs, shares, gain, tuple(notes), float(np.mean(adaptive)), float(np.mean(uniform)))


def _sample_pixels(centers_hz, fwhm_hz, contrast, max_pixels):
    """Up to ``max_pixels`` finite pixels at evenly spaced ranks of their centre (deterministic), with width and
    contrast clipped to 0.5-2x their medians so that a stray fit cannot steer the plan."""
    c = np.asarray(centers_hz, dtype=np.float64).ravel()
    w = np.asarray(fwhm_hz, dtype=np.float64).ravel()
    a = np.asarray(contrast, dtype=np.float64).ravel()
    ok = np.isfinite(c) & np.isfinite(w) & np.isfinite(a) & (w > 0) & (a > 0)
    if not ok.any():
        raise AdaptivePlanError("no pixel has a usable fitted line (finite centre, positive width and contrast); "
                                "check the first pass's fit (flags) or run a longer first pass.")
    c, w, a = c[ok], w[ok], a[ok]
    order = np.argsort(c, kind="stable")
    take = order[np.unique(np.linspace(0, c.size - 1, min(max_pixels, c.size)).round().astype(np.int64))]
    w_med, a_med = np.median(w), np.median(a)
    return c[take], np.clip(w[take], 0.5 * w_med, 2.0 * w_med), np.clip(a[take], 0.5 * a_med, 2.0 * a_med)


def _baseline(c, w, offsets, lo, hi, n_pairs, notes):
    """Baseline points: half the pairs on each side, on up to 3 points beyond every pixel's outermost line."""
    if n_pairs <= 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    clearance = _BASELINE_CLEARANCE_FWHM * float(np.max(w))
    inner_lo = float(np.min(c) + offsets.min()) - clearance
    inner_hi = float(np.max(c) + offsets.max()) + clearance
    freqs, pairs = [], []
    for side, (a, b), n in (("low", (lo, inner_lo), n_pairs // 2), ("high", (inner_hi, hi), n_pairs - n_pairs // 2)):
        if b <= a:
            a, b = (lo, lo + 0.05 * (hi - lo)) if side == "low" else (hi - 0.05 * (hi - lo), hi)
            notes.append(f"no flat baseline on the {side} side inside the window (lines reach within 2 FWHM of its "
                         f"edge): its baseline points use the outer 5 % of the window; widen the window.")
        f, k = _even_split(np.linspace(a, b, _BASELINE_POINTS_PER_SIDE), n)
        freqs.append(f)
        pairs.append(k)
    return np.concatenate(freqs), np.concatenate(pairs)


def _even_split(freqs, n_pairs):
    """``n_pairs`` shared as evenly as whole numbers allow over ``freqs`` (points left with none are dropped)."""
    n = len(freqs)
    if n == 0 or n_pairs <= 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    pairs = np.full(n, int(n_pairs) // n, dtype=np.int64)
    pairs[: int(n_pairs) - int(pairs.sum())] += 1
    keep = pairs > 0
    return np.asarray(freqs, dtype=np.float64)[keep], pairs[keep]


def _round_design(candidates, weights, n_pairs, min_pairs):
    """Whole pairs from the optimised weights: candidates below ``min_pairs`` dropped, the rest rescaled to
    ``n_pairs`` and rounded by largest remainder (the sum is exact)."""
    keep = weights >= min_pairs
    if not keep.any():
        keep = weights >= weights.max()
    f, wk = candidates[keep], weights[keep]
    exact = wk * (n_pairs / wk.sum())
    pairs = np.floor(exact).astype(np.int64)
    short = int(n_pairs - pairs.sum())
    pairs[np.argsort(-(exact - pairs), kind="stable")[:short]] += 1
    keep = pairs > 0
    return f[keep], pairs[keep]


def _merge(freqs, pairs):
    """Sorted unique frequencies (to 1 Hz) with the pairs of coinciding points added."""
    rounded = np.round(np.asarray(freqs, dtype=np.float64))
    unique, inverse = np.unique(rounded, return_inverse=True)
    return unique, np.bincount(inverse, weights=pairs, minlength=unique.size).astype(np.int64)


def _ridge(info):
    """1e-9 of each diagonal element (and 1e-12 absolute), so that a design that measured nothing yet stays
    invertible without changing a centre variance that was measured."""
    diag = np.diagonal(info, axis1=1, axis2=2)
    return (1e-9 * diag + 1e-12)[:, :, None] * np.eye(fisher.N_PARAMS)[None]
