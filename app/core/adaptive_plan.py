"""The sweep plans of an adaptive CW-ODMR run, from the uniform sweep the user set up. Qt-free, no instruments.

The uniform sweep (windows, pairs per step, sweeps) fixes the budget: its total on/off pairs. The first pass is a
uniform sweep over the same windows with about half the points, spending ``first_share`` of the budget; the
adaptive pass (``analysis.adaptive.plan_adaptive_sweep``) spends the rest where the line centres are measured.
Each pass is its own session file: the adaptive pass is the file the user named, the first pass lies next to it
as ``<name>.pass1.h5`` and the adaptive pass names it (``sample_metadata["first_pass"]``), so ``nvscope fit``
combines both (``analysis.pipeline.fit_spectra_of``). See docs/adaptive.md.
"""

import os

import numpy as np

from instruments.sweep import SweepPlan, SweepPlanError

FIRST_PASS_SHARE = 0.2
MIN_FIRST_PASS_POINTS = 9  # the first pass is fitted alone: 15N doublet, 4 parameters, and some baseline
FIRST_PASS_SUFFIX = ".pass1.h5"


def windows_of(plan, window_sizes):
    """((lo_hz, hi_hz, points), ...) of a uniform plan's windows (``window_sizes``: steps per window)."""
    freq = plan.frequencies_hz
    starts = np.cumsum((0,) + tuple(window_sizes))
    return tuple((float(freq[a:b].min()), float(freq[a:b].max()), int(b - a)) for a, b in
                 zip(starts[:-1], starts[1:], strict=True))


def planner_window(windows):
    """The ``window_hz`` argument of ``plan_adaptive_sweep``: (lo, hi) for one window, ((lo, hi), (lo, hi)) for
    two (f- and f+)."""
    pairs = tuple((lo, hi) for lo, hi, _ in windows)
    return pairs[0] if len(pairs) == 1 else pairs


def budget_pairs(plan):
    """On/off pairs of the uniform sweep the adaptive run replaces (every step, every sweep)."""
    return int(plan.pairs_array.sum()) * int(plan.n_sweeps)


def first_pass_plan(plan, window_sizes, share=FIRST_PASS_SHARE):
    """(SweepPlan, window_sizes) of the coarse first pass: each window with (n + 1) // 2 points (at least
    ``MIN_FIRST_PASS_POINTS``), spending ``share`` of ``budget_pairs(plan)`` in one sweep."""
    if not 0.0 < share < 1.0:
        raise SweepPlanError(f"first-pass share {share!r} must lie between 0 and 1 (default {FIRST_PASS_SHARE}).")
    windows = [(lo, hi, max(MIN_FIRST_PASS_POINTS, (n + 1) // 2)) for lo, hi, n in windows_of(plan, window_sizes)]
    n_steps = sum(n for _, _, n in windows)
    budget = budget_pairs(plan)
    pairs = int(round(share * budget / n_steps))
    if pairs < 1 or budget - pairs * n_steps < n_steps:
        raise SweepPlanError(f"a budget of {budget} on/off pairs is too small for an adaptive sweep: the first pass "
                             f"has {n_steps} steps and needs at least 1 pair each, and the adaptive pass as many "
                             "again; raise the pairs per step or the first-pass share.")
    first = SweepPlan.from_windows(windows, pairs_per_step=pairs, n_sweeps=1, exposure_s=plan.exposure_s,
                                   rf_power_dbm=plan.rf_power_dbm, scheme=plan.scheme)
    return first, tuple(n for _, _, n in windows)


def adaptive_pass_plan(template, adaptive, windows):
    """(SweepPlan, window_sizes, freq_windows_hz) running an ``AdaptivePlan`` with the template's exposure, power
    and scheme; its sorted frequencies split into the template's windows (f- below f+)."""
    freq = np.asarray(adaptive.freq_hz, dtype=np.float64)
    plan = SweepPlan(tuple(freq), pairs_per_step=adaptive.pairs_per_step, n_sweeps=1, exposure_s=template.exposure_s,
                     rf_power_dbm=template.rf_power_dbm, scheme=template.scheme)
    if len(windows) == 1:
        return plan, (freq.size,), [freq]
    split = 0.5 * (windows[0][1] + windows[1][0])
    cut = int(np.searchsorted(freq, split))
    return plan, (cut, freq.size - cut), [freq[:cut], freq[cut:]]


def first_pass_path(path):
    """Where the first pass of an adaptive run written to ``path`` goes: ``<name>.pass1.h5`` beside it."""
    path = os.fspath(path)
    stem = path[:-len(".hdf5")] if path.endswith(".hdf5") else path[:-3] if path.endswith(".h5") else path
    return stem + FIRST_PASS_SUFFIX


def adaptive_metadata(adaptive, first_path=None, planned_from=None, share=None):
    """The adaptive pass's ``sample_metadata`` additions: the plan as made, and its first pass (by file name: the
    two files are kept together) or the earlier session it was planned from."""
    extra = {"adaptive_plan": {**adaptive.to_dict(), "first_pass_share": share}}
    if first_path is not None:
        extra["first_pass"] = os.path.basename(os.fspath(first_path))
    if planned_from is not None:
        extra["adaptive_plan"]["planned_from"] = os.path.abspath(os.fspath(planned_from))
    return extra


def describe_adaptive(sample_metadata):
    """One paragraph on the adaptive plan a session records (for review mode), or "" for an ordinary sweep."""
    record = (sample_metadata or {}).get("adaptive_plan")
    if not isinstance(record, dict):
        return ""
    pairs = record.get("pairs_per_step", [])
    source = ((sample_metadata or {}).get("first_pass") and f"after the first pass {sample_metadata['first_pass']}"
              or record.get("planned_from") and f"planned from {record['planned_from']}" or "")
    shares = ", ".join(f"{k} {v}" for k, v in (record.get("shares_pairs") or {}).items())
    return (f"Adaptive pass {source}: {len(pairs)} frequencies, {sum(pairs)} pairs ({shares}); predicted gain "
            f"{record.get('predicted_gain', float('nan')):.2f}x over a uniform sweep. The plan is marked on the "
            "spectrum (triangles, size ~ pairs).")


def plan_marks(plan_record):
    """(freq_hz, pairs) of a stored adaptive plan (``sample_metadata["adaptive_plan"]``), or None."""
    if not isinstance(plan_record, dict) or not plan_record.get("freq_hz"):
        return None
    return (np.asarray(plan_record["freq_hz"], dtype=np.float64),
            np.asarray(plan_record.get("pairs_per_step", []), dtype=np.int64))
