"""fit_odmr refuses bad input with errors that name the value, and copes with untidy but valid input."""

import numpy as np
import pytest

from analysis import physics
from analysis.odmr import INVALID_DATA, MASKED, NOT_CONVERGED, fit_odmr

FREQ_HZ = np.linspace(2.860e9, 2.880e9, 61)


def _cube(rows=6, cols=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = 2.870e9 + rng.normal(0.0, 0.5e6, (rows, cols))
    clean = np.stack([physics.odmr_spectrum(FREQ_HZ, c, 1e6, 0.02, isotope="single") for c in centres.ravel()])
    return (clean + rng.normal(0.0, 0.002, clean.shape)).reshape(rows, cols, -1), centres


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cube": np.ones((5, 61))}, r"cube has shape \(5, 61\)"),
        ({"freq_hz": FREQ_HZ[:-1]}, r"freq_hz has shape \(60,\).*61 frequency points"),
        ({"freq_hz": np.where(np.arange(61) == 7, np.nan, FREQ_HZ)}, "1 non-finite values"),
        ({"freq_hz": np.r_[FREQ_HZ[:-1], FREQ_HZ[0]]}, "repeated frequencies"),
        ({"model": "voigt"}, r"model 'voigt' is not known"),
        ({"transitions": 3}, "transitions = 3"),
        ({"model": "free"}, "needs n_lines"),
        ({"model": "free", "n_lines": 3, "transitions": 2}, "n_lines = 3"),
        ({"model": "15N", "n_lines": 2}, "applies to model 'free' only"),
        ({"binning": 0}, "binning = 0"),
        ({"mask": np.ones((3, 3), dtype=bool)}, r"mask has shape \(3, 3\)"),
        ({"mask": np.ones((6, 5))}, "mask has dtype float64"),
        ({"branch": "up"}, "branch 'up' is not known"),
        ({"d_hz": np.nan}, "d_hz"),
        ({"sigma": -1.0}, "sigma must be positive"),
        ({"cube": np.ones((2, 2, 5)), "freq_hz": np.linspace(2.86e9, 2.88e9, 5)}, "too few for model '15N'"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"cube": _cube()[0], "freq_hz": FREQ_HZ, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_odmr(args.pop("cube"), args.pop("freq_hz"), **args)


def test_reversed_frequency_axis_gives_the_same_fit():
    cube, _ = _cube()
    forward = fit_odmr(cube, FREQ_HZ, model="lorentzian")
    backward = fit_odmr(cube[:, :, ::-1], FREQ_HZ[::-1], model="lorentzian")
    np.testing.assert_allclose(backward.center_hz, forward.center_hz, rtol=0, atol=1.0)
    assert np.all(np.diff(backward.freq_hz) > 0)


def test_nan_spectrum_is_flagged_not_raised():
    cube, centres = _cube()
    cube[2, 3, 10] = np.nan
    fit = fit_odmr(cube, FREQ_HZ, model="lorentzian")
    assert fit.flags[2, 3] & INVALID_DATA and fit.flags[2, 3] & NOT_CONVERGED
    assert np.isnan(fit.center_hz[2, 3]) and not fit.converged[2, 3]
    others = np.ones(fit.shape, dtype=bool)
    others[2, 3] = False
    assert fit.converged[others].all()
    # the single Lorentzian's centre is the truth within a few standard errors (noise 0.2 %, contrast 2 %)
    assert np.all(np.abs(fit.center_hz - centres)[others] < 5 * fit.center_err_hz[others])


def test_fully_masked_image_is_refused_and_partly_masked_is_flagged():
    cube, _ = _cube()
    with pytest.raises(ValueError, match="nothing to fit"):
        fit_odmr(cube, FREQ_HZ, mask=np.zeros((6, 5), dtype=bool))
    mask = np.ones((6, 5), dtype=bool)
    mask[0, 0] = False
    fit = fit_odmr(cube, FREQ_HZ, model="lorentzian", mask=mask)
    assert fit.flags[0, 0] & MASKED and np.isnan(fit.b_nv_t[0, 0])
    assert fit.converged_fraction == 1.0


def test_result_exports_arrays_and_attributes():
    cube, _ = _cube()
    fit = fit_odmr(cube, FREQ_HZ, model="14N")
    arrays = fit.to_arrays()
    for name in ("center_hz", "center_err_hz", "fwhm_hz", "contrast", "converged", "chi2", "b_nv_t", "b_nv_err_t",
                 "flags", "n_iter", "params", "param_err", "reduced_chi2"):
        assert isinstance(arrays[name], np.ndarray), name
    assert "d_hz" not in arrays  # one transition: D was assumed, not measured
    attrs = fit.attributes()
    assert attrs["model"] == "14N" and attrs["assumed_d_hz"] == physics.ZERO_FIELD_SPLITTING_HZ
    assert attrs["param_names"].split(",")[:4] == ["baseline", "contrast_0", "fwhm_hz_0", "center_hz_0"]


def test_known_noise_gives_weighted_fit_with_absolute_errors():
    cube, _ = _cube(rows=8, cols=8)
    weighted = fit_odmr(cube, FREQ_HZ, model="lorentzian", sigma=0.002, absolute_sigma=True)
    unweighted = fit_odmr(cube, FREQ_HZ, model="lorentzian")
    # chi2 is now in units of the true noise: reduced chi2 ~ 1 (spread 0.19 per pixel, 0.03 for a median of 64)
    assert 0.85 < np.median(weighted.reduced_chi2) < 1.15
    ratio = weighted.center_err_hz / unweighted.center_err_hz
    assert 0.9 < np.median(ratio) < 1.1
    np.testing.assert_allclose(weighted.center_hz, unweighted.center_hz, rtol=0, atol=1.0)
