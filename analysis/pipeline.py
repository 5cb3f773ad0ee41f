"""The analysis pipeline of one session file, headless: ODMR fit -> B_NV map -> background removal.

The command line (``nvscope fit``), the GUI and the labelling study all call these, so a session is processed
the same way everywhere. Results are written into the session file (replacing earlier ones).
"""

from dataclasses import dataclass

import numpy as np

from analysis import physics
from analysis.background import remove_background
from analysis.odmr import fit_odmr
from analysis.odmr.preprocess import contrast_cube
from analysis.session import read_session, write_background, write_field_map, write_fit_results

DEFAULT_PIXEL_SIZE_M = 1.3e-6
MIN_STEPS_TO_FIT = 8

# units of the fit arrays whose names do not carry them (for write_fit_results)
FIT_UNITS = {"params": "see param_names", "param_err": "see param_names", "param_cov": "see param_names",
              "baseline": "1", "n_iter": "1"}


@dataclass
class FieldMapSummary:
    """What ``fit_session_file`` did, for a one-line report."""

    path: str
    converged_fraction: float
    n_steps_used: int
    transitions: int
    residual_noise_t: float
    """Robust (MAD) noise of the background-subtracted map, T."""
    b_nv_median_t: float


def session_pixel_size_m(session):
    """Pixel size at the sample (m): the session's metadata, the simulated truth, else the default 1.3 um."""
    for source in (session.sample_metadata or {}, ((session.truth or {}).get("sample") or {})):
        value = source.get("pixel_size_m")
        if value:
            return float(value)
    return DEFAULT_PIXEL_SIZE_M


def fit_cube_of(session):
    """(cube (rows, cols, n), freq_hz (n,), transitions) of the completed steps of a session."""
    done = np.asarray(session.step_done, dtype=bool)
    if done.sum() < MIN_STEPS_TO_FIT:
        raise ValueError(f"{session.path} has {int(done.sum())} completed frequency steps; at least "
                         f"{MIN_STEPS_TO_FIT} are needed for a fit. Acquire more steps first.")
    cube = contrast_cube(session.on_sum, session.off_sum, session.n_pairs, session.dark_frame_adu,
                         np.flatnonzero(done))
    windows = np.unique(np.asarray(session.window_index)[done])
    return cube, np.asarray(session.freq_hz)[done], 2 if len(windows) >= 2 else 1


def fit_session_file(path, model="15N", d_hz=None, binning=1, order=2, covariance=True):
    """Fit every pixel, remove the background and write the fit maps, background and field maps into ``path``.

    d_hz: zero-field splitting for one-transition sweeps (default: the simulated truth's, else physics' D).
    covariance: False leaves the per-pixel parameter covariance out of the file (``write_fit_results``).
    """
    session = read_session(path)
    cube, freq_hz, transitions = fit_cube_of(session)
    if d_hz is None:
        d_hz = ((session.truth or {}).get("sample") or {}).get("d_hz", physics.ZERO_FIELD_SPLITTING_HZ)
    fit = fit_odmr(cube, freq_hz, model=model, transitions=transitions, d_hz=float(d_hz), binning=binning)
    settings = {**fit.attributes(), "n_steps_used": int(freq_hz.size), "d_hz_assumed": float(d_hz)}
    write_fit_results(path, fit.to_arrays(), units=FIT_UNITS, settings=settings, covariance=covariance)
    pixel_size_m = session_pixel_size_m(session) * binning
    b_nv = np.where(fit.converged, fit.b_nv_t, np.nan)
    background, residual, info = remove_background(b_nv, order=order, pixel_size_m=pixel_size_m)
    write_background(path, {"background_t": background, "used_mask": info["used"]},
                     settings={"order": order, "coefficients_t": np.asarray(info["coefficients_t"]).tolist(),
                               "noise_t": float(info["noise_t"])})
    write_field_map(path, {"b_nv_t": fit.b_nv_t, "b_nv_err_t": fit.b_nv_err_t, "b_nv_residual_t": residual},
                    settings={"pixel_size_m": pixel_size_m, "binning": binning,
                              "residual": "b_nv_t minus the robust polynomial background"})
    finite = residual[np.isfinite(residual)]
    noise = float(1.4826 * np.median(np.abs(finite - np.median(finite)))) if finite.size else float("nan")
    return FieldMapSummary(str(path), fit.converged_fraction, int(freq_hz.size), transitions, noise,
                           float(np.nanmedian(fit.b_nv_t)))


def fit_live_cube(cube_steps_first, freq_hz, steps_done, model="15N", d_hz=physics.ZERO_FIELD_SPLITTING_HZ,
                  transitions=1, binning=1):
    """Fit what a running acquisition has so far: the completed steps of a (n_steps, rows, cols) spin-contrast
    cube. Returns None while fewer than ``MIN_STEPS_TO_FIT`` steps are done (nothing to fit yet)."""
    done = np.asarray(steps_done, dtype=bool)
    if done.sum() < MIN_STEPS_TO_FIT:
        return None
    cube = np.ascontiguousarray(np.moveaxis(np.asarray(cube_steps_first)[done], 0, -1))
    return fit_odmr(cube, np.asarray(freq_hz)[done], model=model, transitions=transitions, d_hz=d_hz,
                    binning=binning)
