"""The per-pixel fit's fast kernels give what their plain definitions give: the one-pass normal equations
for 4 parameters and the general ones against numpy, the doublet's one-division line pair against two
single lines, the matched filter's runs against interpolation on uniform and non-uniform grids, the mean
spectrum's row medians against np.median, the covariance block sums against fancy indexing."""

import numpy as np
import pytest

from analysis import physics
from analysis.fitting.lm_steps import normal_equations
from analysis.odmr.fit import _block_sum, _row_medians
from analysis.odmr.guess import template_table


@pytest.mark.parametrize("p", [4, 7])
@pytest.mark.parametrize("weighted", [False, True])
def test_normal_equations_equal_numpy(p, weighted):
    rng = np.random.default_rng(p)
    n = 101
    jac = np.ascontiguousarray(rng.standard_normal((p, n)) * np.logspace(-6, 3, p)[:, None])  # mixed units
    y, values = rng.standard_normal(n), rng.standard_normal(n)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.empty(0)
    hess, grad = np.empty((p, p)), np.empty(p)
    normal_equations(y, weights, values, jac, hess, grad, np.empty(n))
    w2 = weights**2 if weighted else np.ones(n)
    ref_hess = (jac * w2) @ jac.T
    ref_grad = jac @ (w2 * (y - values))
    # summation order differs (vectorised partial sums): a few ulp of the largest terms
    scale = np.sqrt(np.outer(np.diag(ref_hess), np.diag(ref_hess)))
    assert np.max(np.abs(hess - ref_hess) / scale) < 1e-13
    assert np.array_equal(hess, hess.T)
    assert np.max(np.abs(grad - ref_grad) / np.sqrt(np.diag(ref_hess) * np.sum(w2 * (y - values) ** 2))) < 1e-13


def test_line_pair_equals_two_single_lines():
    f = np.linspace(-40e6, 40e6, 2001)
    c1, c2, fwhm = -1.515e6 + 0.3e6, 1.515e6 + 0.3e6, 0.7e6
    pair = physics.lorentzian_pair_and_derivatives(f, c1, c2, fwhm)
    singles = [np.add(*parts) for parts in zip(physics.lorentzian_and_derivatives(f, c1, fwhm),
                                               physics.lorentzian_and_derivatives(f, c2, fwhm), strict=True)]
    for got, want in zip(pair, singles, strict=True):
        # one division for both lines instead of one each: a few ulp, also far out in the tails
        assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)) < 1e-14


def _filter_by_runs(segments, weight, depth, n_offsets):
    score = np.zeros(depth.shape[0])
    for k, start, stop, shift in segments:
        i = np.arange(start, stop)
        below, above = depth[i + shift - 1], depth[i + shift]
        score[i] += (below + weight[k, i] * (above - below)) / n_offsets
    return score


def _filter_by_interpolation(f, offsets, windows, depth):
    score = np.zeros(f.shape[0])
    for lo, hi in windows:
        fw = f[lo:hi]
        for o in offsets:
            q = fw + o
            inside = (q >= fw[0]) & (q <= fw[-1])
            score[lo:hi] += np.where(inside, np.interp(q, fw, depth[lo:hi]), 0.0) / len(offsets)
    return score


@pytest.mark.parametrize("grid", ["uniform", "jittered", "two sub-sweeps"])
def test_matched_filter_runs_sample_where_interpolation_does(grid):
    rng = np.random.default_rng(3)
    if grid == "uniform":
        f = np.linspace(-7.5e6, 7.5e6, 101)
        windows = np.array([[0, 101]])
    elif grid == "jittered":
        f = np.sort(np.linspace(-7.5e6, 7.5e6, 101) + rng.uniform(-40e3, 40e3, 101))
        windows = np.array([[0, 101]])
    else:
        f = np.concatenate([np.linspace(-60e6, -45e6, 61), np.linspace(45e6, 60e6, 61)])
        windows = np.array([[0, 61], [61, 122]])
    offsets = physics.hyperfine_offsets_hz("14N")
    depth = rng.uniform(0.0, 0.02, f.shape[0])
    segments, weight = template_table(f, offsets, windows)
    got = _filter_by_runs(segments, weight, depth, len(offsets))
    assert np.allclose(got, _filter_by_interpolation(f, offsets, windows, depth), rtol=0, atol=1e-15)
    for _, start, stop, shift in segments:  # runs stay inside one window and sample inside it
        lo, hi = next((lo, hi) for lo, hi in windows if lo <= start < hi)
        assert stop <= hi and lo + 1 <= start + shift and stop - 1 + shift <= hi - 1
    if grid == "uniform":  # one run per line (a few where a sample point falls on a grid point)
        assert len(segments) <= 2 * len(offsets)


@pytest.mark.parametrize("n", [1, 2, 41, 100, 101])
def test_row_medians_equal_numpy_median(n):
    rows = np.random.default_rng(n).standard_normal((300, n))
    assert np.array_equal(_row_medians(rows), np.median(rows, axis=1))  # the same partition, bit for bit


@pytest.mark.parametrize("rows, cols", [([3], [3]), ([3], [6]), ([3, 6], [3, 6]), ([1, 4], [2])])
def test_covariance_block_sums_equal_the_fancy_indexed_sum(rows, cols):
    cov = np.random.default_rng(0).standard_normal((500, 7, 7))
    rows, cols = np.array(rows), np.array(cols)
    assert np.array_equal(_block_sum(cov, rows, cols), cov[:, rows][:, :, cols].sum(axis=(1, 2)))
