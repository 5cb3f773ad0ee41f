"""The spectrum view's steady range: the data always inside, unchanged for similar spectra, shrunk for small ones."""

import numpy as np

from app.core.spectrum_range import FILL_AT_LEAST, ROOM, steady_range

F_MHZ = np.linspace(2860.0, 2880.0, 101)


def _dip(depth, baseline=1.0):
    return baseline - depth * np.exp(-((F_MHZ - 2870.0) / 2.0) ** 2)


def test_the_first_range_holds_the_data_with_room_and_padding():
    (x0, x1), (y0, y1) = steady_range(None, [(F_MHZ, _dip(0.02)), (None, None)])
    assert x0 < 2860.0 and x1 > 2880.0 and (x1 - x0) < 1.05 * 20.0
    assert y0 < 0.98 and y1 > 1.0 and (y1 - y0) < (1.0 + 2 * ROOM + 1e-9) * 0.02


def test_a_similar_spectrum_keeps_the_range_and_one_outside_it_moves_it():
    first = steady_range(None, [(F_MHZ, _dip(0.02))])
    assert steady_range(first, [(F_MHZ, _dip(0.019, 1.0005))]) == first  # same extent, a little shifted
    deeper = steady_range(first, [(F_MHZ, _dip(0.03))])
    assert deeper[1][0] < 0.97 < first[1][0] and deeper[0] == first[0]


def test_a_much_smaller_spectrum_shrinks_the_range():
    first = steady_range(None, [(F_MHZ, _dip(0.05))])
    small = steady_range(first, [(F_MHZ, _dip(0.01))])
    assert (small[1][1] - small[1][0]) < FILL_AT_LEAST * (first[1][1] - first[1][0])


def test_nan_points_are_ignored_and_no_data_gives_no_range():
    values = _dip(0.02)
    values[:50] = np.nan  # steps not measured yet
    (x0, x1), (y0, _) = steady_range(None, [(F_MHZ, values)])
    assert x0 > 2869.0 and y0 < values[50:].min()
    assert steady_range(None, [(F_MHZ, np.full(F_MHZ.size, np.nan)), (None, None), ([], [])]) is None


def test_the_sweeps_frequencies_set_the_width_while_steps_are_still_missing():
    values = _dip(0.02)
    values[50:] = np.nan  # the first sweep, half-way
    first = steady_range(None, [(F_MHZ, values)], x_extent=F_MHZ)
    (x0, x1), _ = first
    assert x0 < 2860.0 and x1 > 2880.0  # the whole sweep, not only the measured half
    values[50:60] = _dip(0.02)[50:60]  # ten more steps: the same width, nothing to re-lay out
    assert steady_range(first, [(F_MHZ, values)], x_extent=F_MHZ)[0] == first[0]
