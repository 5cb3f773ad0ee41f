"""The adaptive planner: frames on the flanks, baseline and exploration shares honoured, deterministic."""

from types import SimpleNamespace

import numpy as np
import pytest

from analysis import physics
from analysis.adaptive import AdaptivePlanError, combine_passes, fisher, plan_adaptive_sweep, plan_from_lines
from analysis.odmr import fit_odmr, model_offsets_hz

F0 = 2.03e9
FWHM = 0.85e6
CONTRAST = 0.015
WINDOW = (F0 - 6e6, F0 + 6e6)
OFFSETS = model_offsets_hz("15N")


def _lines(spread_hz, n=400, seed=0):
    c = F0 + np.random.default_rng(seed).uniform(-spread_hz / 2, spread_hz / 2, n)
    return c, np.full(n, FWHM), np.full(n, CONTRAST)


def _plan(spread_hz=0.1e6, total=5000, **kw):
    return plan_from_lines(*_lines(spread_hz), OFFSETS, WINDOW, total, **kw)


def _distance_to_nearest_line(f, centre=F0):
    return np.min(np.abs(np.asarray(f)[:, None] - (centre + OFFSETS)[None, :]), axis=1)


def test_the_flank_share_sits_on_the_flanks():
    plan = _plan()
    d = _distance_to_nearest_line(plan.freq_hz)
    flank = FWHM / (2 * np.sqrt(3))  # steepest point of a unit-peak Lorentzian
    near_flank = np.abs(d - flank) < 0.3 * FWHM
    share_on_flanks = plan.pairs[near_flank].sum() / plan.total_pairs
    # 80 % of the pairs are the flank share; the pixels' centres spread 0.1 MHz and the candidate grid is FWHM/8,
    # so nearly all of it lands within 0.3 FWHM of a steepest point (the exploration grid adds a little there)
    assert share_on_flanks > 0.75
    # the bottoms carry no centre information themselves; the optimum keeps a few per cent there because it pins
    # contrast and width, which correlate with the centre for pixels whose centre is off the flank points' middle
    assert plan.pairs[d < 0.05 * FWHM].sum() < 0.10 * plan.total_pairs
    assert plan.predicted_gain > 2.5


def test_shares_totals_and_order():
    total = 5000
    plan = _plan(total=total, baseline_share=0.15, exploration_share=0.12, exploration_points=25)
    assert plan.total_pairs == total and np.all(plan.pairs >= 1)
    assert np.all(np.diff(plan.freq_hz) > 0)
    assert plan.shares_pairs == {"exploration": 600, "baseline": 750, "flanks": total - 1350}
    # exploration: the whole window, evenly, with at least its share at each of the 25 points
    grid = np.round(np.linspace(*WINDOW, 25))
    at_grid = np.isin(plan.freq_hz, grid)
    assert at_grid.sum() == 25 and np.all(plan.pairs[at_grid] >= 600 // 25)
    assert plan.freq_hz[0] == WINDOW[0] and plan.freq_hz[-1] == WINDOW[1]
    # baseline: at least its share beyond 2 FWHM of every line, half on each side
    flat = _distance_to_nearest_line(plan.freq_hz) > 2 * FWHM
    low, high = flat & (plan.freq_hz < F0), flat & (plan.freq_hz > F0)
    assert plan.pairs[low].sum() >= 375 and plan.pairs[high].sum() >= 375


def test_deterministic_and_independent_of_pixel_order():
    c, w, a = _lines(0.5e6)
    first = plan_from_lines(c, w, a, OFFSETS, WINDOW, 4000)
    again = plan_from_lines(c, w, a, OFFSETS, WINDOW, 4000)
    order = np.random.default_rng(1).permutation(c.size)
    shuffled = plan_from_lines(c[order], w[order], a[order], OFFSETS, WINDOW, 4000)
    for other in (again, shuffled):
        assert np.array_equal(first.freq_hz, other.freq_hz) and np.array_equal(first.pairs, other.pairs)


def test_a_wider_spread_of_centres_spreads_the_plan_and_lowers_the_gain():
    narrow, wide = _plan(0.1e6), _plan(1.5e6)
    assert wide.predicted_gain < narrow.predicted_gain
    assert len(wide.freq_hz) > len(narrow.freq_hz)


def test_the_optimised_design_beats_uniform_on_the_fisher_bound():
    c, w, a = _lines(0.3e6, n=50)
    grid = np.linspace(*WINDOW, 97)
    g = fisher.spectrum_gradients(grid, c, w, a, OFFSETS)
    floor = fisher.information(fisher.spectrum_gradients(np.linspace(*WINDOW, 9), c, w, a, OFFSETS), np.ones(9))
    weights = fisher.optimise_design(g, floor, 1000.0)
    assert weights.sum() == pytest.approx(1000.0)
    uniform = fisher.centre_variance(floor + fisher.information(g, np.full(97, 1000 / 97)))
    optimal = fisher.centre_variance(floor + fisher.information(g, weights))
    assert np.mean(optimal) < 0.5 * np.mean(uniform)


def test_bad_inputs_say_what_is_wrong():
    c, w, a = _lines(0.1e6)
    with pytest.raises(AdaptivePlanError, match="no pixel has a usable fitted line"):
        plan_from_lines(np.full(3, np.nan), w[:3], a[:3], OFFSETS, WINDOW, 1000)
    with pytest.raises(AdaptivePlanError, match="too small"):
        plan_from_lines(c, w, a, OFFSETS, WINDOW, 10)
    with pytest.raises(AdaptivePlanError, match="window_hz"):
        plan_from_lines(c, w, a, OFFSETS, (WINDOW[1], WINDOW[0]), 1000)


def test_combine_passes_accumulates_repeated_frequencies_by_pairs():
    cube_a = np.full((2, 3, 3), 1.0)
    cube_b = np.full((2, 3, 2), 0.5)
    freq, cube, pairs, sigma = combine_passes([([1e9, 2e9, 3e9], cube_a, [10, 10, 10]), ([2e9, 4e9], cube_b, [30, 5])])
    assert freq.tolist() == [1e9, 2e9, 3e9, 4e9]
    assert pairs.tolist() == [10, 40, 10, 5]
    assert cube[0, 0].tolist() == pytest.approx([1.0, (10 * 1.0 + 30 * 0.5) / 40, 1.0, 0.5])
    assert sigma == pytest.approx(1 / np.sqrt([10, 40, 10, 5]))


def test_two_transitions_plan_each_window_around_its_own_lines():
    rng = np.random.default_rng(2)
    shape = (10, 10)
    f_plus0 = 3.71e9
    fit = SimpleNamespace(
        model="15N", transitions=2,
        freq_hz=np.concatenate([np.linspace(*WINDOW, 31), f_plus0 + np.linspace(-6e6, 6e6, 31)]),
        flags=np.zeros(shape, dtype=np.uint8),
        center_hz=np.stack([F0 + rng.uniform(-1e5, 1e5, shape), f_plus0 + rng.uniform(-1e5, 1e5, shape)], axis=-1),
        fwhm_hz=np.full(shape + (2,), FWHM),
        # f+ has half the contrast (less microwave power reaches the NVs there): it needs more pairs
        contrast=np.stack([np.full(shape, CONTRAST), np.full(shape, CONTRAST / 2)], axis=-1))
    windows = (WINDOW, (f_plus0 - 6e6, f_plus0 + 6e6))
    plan = plan_adaptive_sweep(fit, windows, 6000)
    assert plan.total_pairs == 6000 and np.all(np.diff(plan.freq_hz) > 0)
    minus = plan.freq_hz < 3e9
    assert plan.freq_hz[minus].min() == WINDOW[0] and plan.freq_hz[~minus].max() == f_plus0 + 6e6
    # var(f) ~ 1 / (pairs C^2): splitting as sqrt(variance) gives the weaker line about twice the pairs
    assert 1.6 < plan.pairs[~minus].sum() / plan.pairs[minus].sum() < 2.4
    flank = FWHM / (2 * np.sqrt(3))
    d_minus = _distance_to_nearest_line(plan.freq_hz[minus], F0)
    d_plus = _distance_to_nearest_line(plan.freq_hz[~minus], f_plus0)
    assert plan.pairs[minus][np.abs(d_minus - flank) < 0.3 * FWHM].sum() > 0.6 * plan.pairs[minus].sum()
    assert plan.pairs[~minus][np.abs(d_plus - flank) < 0.3 * FWHM].sum() > 0.6 * plan.pairs[~minus].sum()
    assert plan.predicted_gain > 2.5


def test_a_line_that_moved_is_still_found_by_the_plan_alone():
    """The exploration and baseline shares: lines 1 MHz away from where the plan expected them (drift, a new cell)
    are still fitted from the adaptive pass alone, with honest errors, so the next plan can follow them."""
    rng = np.random.default_rng(3)
    plan = plan_from_lines(*_lines(0.4e6), OFFSETS, WINDOW, 8000)
    true = F0 + 1.0e6 + rng.uniform(-2e5, 2e5, (16, 16))
    clean = np.stack([physics.odmr_spectrum(plan.freq_hz, t, FWHM, CONTRAST) for t in true.ravel()])
    noise_per_pair = 0.02  # relative noise of one on/off pair: SE ~ 15 kHz where the plan aimed, more here
    noisy = clean.reshape(16, 16, -1) + rng.normal(size=(16, 16, len(plan.freq_hz))) * noise_per_pair / np.sqrt(
        plan.pairs)
    fit = fit_odmr(noisy, plan.freq_hz, "15N", sigma=1 / np.sqrt(plan.pairs))
    clean_fit = fit.flags == 0
    assert clean_fit.mean() > 0.85  # measured 0.94 on 1024 pixels
    pull = ((fit.center_hz - true) / fit.center_err_hz)[clean_fit]
    # median |pull| of a unit Gaussian is 0.674; 220-odd pixels make it good to ~0.07
    assert 0.5 < np.median(np.abs(pull)) < 0.85
