"""Zeeman conversions and the CW-ODMR line shape."""

import numpy as np
import pytest

from analysis import physics


def test_zeeman_both_ways():
    b = np.array([-1e-3, 0.0, 30e-3, 30.0027e-3])
    f_minus, f_plus = physics.transitions_hz(b)
    np.testing.assert_allclose(physics.b_nv_from_transitions_t(f_minus, f_plus), b, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(physics.d_from_transitions_hz(f_minus, f_plus), 2.870e9, rtol=1e-15)
    np.testing.assert_allclose(physics.b_nv_from_f_minus_t(f_minus), b, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(physics.b_nv_from_f_plus_t(f_plus), b, rtol=1e-9, atol=1e-15)


def test_paper_bias_field_transitions():
    f_minus, f_plus = physics.transitions_hz(30e-3)
    assert f_minus == pytest.approx(2.03e9, abs=2e6)
    assert f_plus == pytest.approx(3.71e9, abs=2e6)


def test_two_transitions_are_temperature_insensitive():
    d_warm = physics.zero_field_splitting_hz(305.0)
    assert d_warm - physics.ZERO_FIELD_SPLITTING_HZ == pytest.approx(-740e3)
    f_minus, f_plus = physics.transitions_hz(5e-3, d_warm)
    assert physics.b_nv_from_transitions_t(f_minus, f_plus) == pytest.approx(5e-3, rel=1e-12)


def test_hyperfine_line_positions():
    np.testing.assert_allclose(physics.hyperfine_offsets_hz("15N"), [-1.515e6, 1.515e6])
    np.testing.assert_allclose(physics.hyperfine_offsets_hz("14N"), [-2.16e6, 0.0, 2.16e6])
    with pytest.raises(ValueError, match="13C"):
        physics.hyperfine_offsets_hz("13C")


def test_spectrum_has_its_dips_at_the_hyperfine_lines():
    f = np.linspace(2.02e9, 2.04e9, 40001)
    centre = 2.0293e9
    pl = physics.odmr_spectrum(f, centre, 0.8e6, 0.02, pl0=1000.0, isotope="15N")
    lower, upper = f < centre, f > centre
    assert f[lower][np.argmin(pl[lower])] == pytest.approx(centre - 1.515e6, abs=2e3)
    assert f[upper][np.argmin(pl[upper])] == pytest.approx(centre + 1.515e6, abs=2e3)
    # each dip is the line contrast deep (plus a small tail of its partner)
    assert 1 - pl.min() / 1000.0 == pytest.approx(0.02, rel=0.05)


def test_power_broadening_and_saturation():
    s = physics.power_saturation(0.0, 0.0)
    assert s == pytest.approx(1.0)
    assert physics.power_broadened_fwhm_hz(1e6, s) == pytest.approx(np.sqrt(2) * 1e6)
    assert physics.power_saturated_contrast(0.03, s) == pytest.approx(0.015)


def test_sensitivity_formula_round_trip():
    rate = physics.photon_rate_for_sensitivity(200e-9, 1e6, 0.015, "single", excess_noise=np.sqrt(2))
    eta = physics.shot_noise_sensitivity_t_per_sqrt_hz(rate, 1e6, 0.015, "single", excess_noise=np.sqrt(2))
    assert eta == pytest.approx(200e-9, rel=1e-9)
    # single Lorentzian: max slope is C * 3 sqrt(3) / (4 FWHM)
    assert physics.max_fractional_slope_per_hz(1e6, 0.015, "single") == pytest.approx(
        0.015 * 3 * np.sqrt(3) / 4 / 1e6, rel=1e-4)
