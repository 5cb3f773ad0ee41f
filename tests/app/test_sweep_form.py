"""The sweep settings form: what the user types (MHz, ms, dBm) becomes the right SI plan, or says why not."""

import numpy as np
import pytest

from app.core.instruments import InstrumentLimits
from app.core.sweep_form import DEFAULTS, TWO_WINDOWS, parse_sweep_form

LIMITS = InstrumentLimits(min_frequency_hz=1e9, max_frequency_hz=4e9, max_power_dbm=10.0)


def test_defaults_make_the_papers_f_minus_window_in_si_units():
    form = parse_sweep_form({}, LIMITS)
    assert form.valid and form.window_sizes == (61,)
    f = form.plan.frequencies_hz
    assert f[0] == pytest.approx(2024.25e6) and f[-1] == pytest.approx(2034.25e6) and f.size == 61
    assert form.plan.exposure_s == pytest.approx(1e-3) and form.plan.pairs_per_step == 10


def test_two_windows_concatenate_f_minus_then_f_plus():
    form = parse_sweep_form({"mode": TWO_WINDOWS, "w1_points": "11", "w2_points": "21"}, LIMITS)
    assert form.valid and form.window_sizes == (11, 21) and form.plan.n_steps == 32
    assert form.plan.frequencies_hz[11] == pytest.approx(3705.75e6)
    assert np.all(np.diff(form.plan.frequencies_hz) > 0)


@pytest.mark.parametrize("key, text, reason", [
    ("power_dbm", "25", "RF power: 25 dBm is above the configured limit of 10 dBm (config: rf.max_power_dbm)."),
    ("w1_points", "2", "Points: 2 is below the minimum of 3."),
    ("w1_points", "10.5", "Points: 10.5 must be a whole number."),
    ("exposure_ms", "fast", "Exposure: 'fast' is not a number (in ms)."),
    ("w1_start_mhz", "900", "Start: 900 MHz is below the RF source's minimum frequency of 1000 MHz "
                            "(config: rf.min_frequency_hz)."),
    ("w1_stop_mhz", "2000", "Stop (2000 MHz) must be above Start (2024.25 MHz)."),
    ("pairs", "0", "Pairs per step: 0 is below the minimum of 1."),
    ("exposure_ms", "nan", "Exposure: nan is not a finite number."),
])
def test_each_bad_field_is_named_with_the_reason(key, text, reason):
    form = parse_sweep_form({**DEFAULTS, key: text}, LIMITS)
    assert not form.valid and form.plan is None
    assert form.errors == {key: reason}


def test_f_plus_window_must_lie_above_f_minus():
    form = parse_sweep_form({"mode": TWO_WINDOWS, "w2_start_mhz": "2030", "w2_stop_mhz": "2040"}, LIMITS)
    assert set(form.errors) == {"w2_start_mhz"}


def test_the_limits_come_from_the_backend():
    tight = InstrumentLimits(min_frequency_hz=1e9, max_frequency_hz=2.03e9, max_power_dbm=-5.0)
    form = parse_sweep_form({}, tight)
    assert set(form.errors) == {"w1_stop_mhz", "power_dbm"}
    assert "maximum frequency of 2030 MHz" in form.errors["w1_stop_mhz"]
