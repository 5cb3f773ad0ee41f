"""Steady colour levels: the data always inside, unchanged for similar images, shrunk for much smaller ones."""

from app.core.steady_levels import FILL_AT_LEAST, ROOM, steady_levels


def test_the_first_levels_hold_the_data_with_a_little_room():
    lo, hi = steady_levels(None, (0.97, 1.01))
    assert lo == 0.97 - ROOM * 0.04 and hi == 1.01 + ROOM * 0.04


def test_similar_levels_keep_the_scale_and_data_outside_it_move_it():
    first = steady_levels(None, (0.97, 1.01))
    assert steady_levels(first, (0.971, 1.009)) == first  # the next frame: the same colour scale
    wider = steady_levels(first, (0.95, 1.01))
    assert wider[0] < 0.95 and wider[1] > 1.01


def test_much_narrower_data_shrink_the_scale_and_symmetric_levels_stay_symmetric():
    first = steady_levels(None, (-10.0, 10.0))
    narrow = steady_levels(first, (-2.0, 2.0))
    assert narrow[1] - narrow[0] < FILL_AT_LEAST * (first[1] - first[0])
    assert narrow[0] == -narrow[1]


def test_a_band_that_moves_from_step_to_step_settles_on_one_scale():
    # the spin contrast of a sweep: the same spread, shifted darker on resonance (bench_gui_responsiveness's run)
    steps = [(0.9944, 1.0050), (0.9840, 0.9958), (0.9880, 0.9991), (0.9922, 1.0029), (0.9846, 0.9965),
             (0.9937, 1.0045), (0.9797, 0.9902), (0.9877, 0.9988)]
    shown, changes = None, 0
    for wanted in steps:
        new = steady_levels(shown, wanted)
        changes += new != shown
        shown = new
        assert shown[0] <= wanted[0] and wanted[1] <= shown[1]  # the data always inside
    assert changes <= 3  # first, then widened twice at most; not at every step
