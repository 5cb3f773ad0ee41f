"""The fused contrast pass gives exactly physics.spin_contrast's numbers, in pixel-major order."""

import numpy as np
import pytest

from analysis.odmr.preprocess import contrast_cube
from analysis.physics import spin_contrast


@pytest.mark.parametrize("with_dark", [False, True])
def test_matches_spin_contrast_of_the_chosen_steps(with_dark):
    rng = np.random.default_rng(4)
    n_steps, rows, cols = 7, 5, 6
    n_pairs = np.array([10, 0, 10, 12, 10, 10, 3], dtype=np.uint64)  # step 1 has no pairs: NaN
    off = rng.integers(1000, 2000, (n_steps, rows, cols)).astype(np.uint64) * n_pairs[:, None, None]
    on = (off * 0.98).astype(np.uint64)
    dark = rng.uniform(50.0, 150.0, (rows, cols)) if with_dark else None
    off[3, 2, 2] = 0  # off not above the dark level: NaN
    steps = np.array([0, 1, 3, 6])
    expected = np.moveaxis(spin_contrast(on, off, n_pairs, dark)[steps], 0, -1)
    got = contrast_cube(on, off, n_pairs, dark, steps)
    assert got.shape == (rows, cols, 4) and got.flags.c_contiguous
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-15, equal_nan=True)
    assert np.isnan(got[:, :, 1]).all() and np.isnan(got[2, 2, 2])
