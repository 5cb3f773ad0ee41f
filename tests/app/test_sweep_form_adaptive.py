"""The sweep form's adaptive sampling: the uniform sweep sets the budget, the first pass is checked as typed."""

from app.core.adaptive_plan import first_pass_path, windows_of
from app.core.instruments import InstrumentLimits
from app.core.sweep_form import ADAPTIVE, TWO_WINDOWS, parse_sweep_form

LIMITS = InstrumentLimits(min_frequency_hz=1e9, max_frequency_hz=4e9, max_power_dbm=10.0)


def test_adaptive_form_keeps_the_uniform_budget_and_plans_a_half_density_first_pass():
    form = parse_sweep_form({"sampling": ADAPTIVE, "mode": TWO_WINDOWS, "w1_points": "61", "w2_points": "41",
                             "pairs": "50"}, LIMITS)
    assert form.valid and form.adaptive_share == 0.2 and form.window_sizes == (61, 41)
    first = form.first_pass
    assert [n for _, _, n in windows_of(first, (31, 21))] == [31, 21]
    # 20 % of 102 x 50 = 1020 pairs over 52 steps: 20 each (rounded)
    assert first.pairs_array.tolist() == [20] * 52 and first.n_sweeps == 1
    assert "adaptive" in form.summary() and "10200 frames" in form.summary()


def test_adaptive_form_says_what_is_wrong():
    form = parse_sweep_form({"sampling": ADAPTIVE, "sweeps": "3", "first_share": "0.95"}, LIMITS)
    assert form.errors["sweeps"].startswith("Sweeps: 3; an adaptive sweep runs each pass once")
    assert form.errors["first_share"] == "First pass share: 0.95 is above the maximum of 0.9."
    small = parse_sweep_form({"sampling": ADAPTIVE, "pairs": "1"}, LIMITS)
    assert not small.valid and "too small for an adaptive sweep" in small.errors["pairs"]
    # a uniform sweep ignores the share, whatever is typed there
    assert parse_sweep_form({"first_share": "x"}, LIMITS).valid


def test_first_pass_file_lies_beside_the_adaptive_pass():
    assert first_pass_path("/d/run.h5") == "/d/run.pass1.h5"
    assert first_pass_path("/d/run.hdf5") == "/d/run.pass1.h5"
