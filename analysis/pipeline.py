"""The analysis pipeline of one session file, headless: ODMR fit -> B_NV map -> background removal.

The command line (``nvscope fit``), the GUI and the labelling study all call these, so a session is processed
the same way everywhere. Results are written into the session file (replacing earlier ones).
"""

from dataclasses import dataclass

import numpy as np

from analysis import physics
from analysis.adaptive import combine_passes, first_pass_of, session_passes
from analysis.background import remove_background
from analysis.calibration import CalibrationError
from analysis.odmr import fit_odmr
from analysis.odmr.preprocess import contrast_cube
from analysis.session import read_session, write_background, write_field_map, write_fit_results

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
    """Pixel size of the session's maps at the sample (m), binning applied: its calibration, or for an older
    file the pixel size it recorded. A file with neither raises ``CalibrationError`` (no assumed size)."""
    return session.calibration.pixel_size_m


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


def fit_spectra_of(session):
    """(cube (rows, cols, n), freq_hz (n,), transitions, sigma (n,) or None) to fit for a session: its completed
    steps; for the adaptive pass of a two-pass measurement (``sample_metadata["first_pass"]``), both passes
    combined (``analysis.adaptive.combine_passes``: one point per frequency, sigma = 1/sqrt(pairs))."""
    if first_pass_of(session) is None:
        return (*fit_cube_of(session), None)
    first = read_session(first_pass_of(session))
    windows = max(np.unique(np.asarray(s.window_index)[np.asarray(s.step_done, dtype=bool)]).size
                  for s in (first, session))
    freq_hz, cube, pairs, sigma = combine_passes(session_passes(session, lambda _path: first))
    if freq_hz.size < MIN_STEPS_TO_FIT:
        raise ValueError(f"{session.path} and its first pass have {freq_hz.size} measured frequencies; at least "
                         f"{MIN_STEPS_TO_FIT} are needed for a fit. Acquire more steps first.")
    return np.ascontiguousarray(cube), freq_hz, 2 if windows >= 2 else 1, sigma


def session_maps(fit_arrays, fit_attributes, n_steps_used, d_hz, background_t, background_info, b_nv_t, b_nv_err_t,
                 residual_t, pixel_size_m, binning=1, written_by=None):
    """The fit, background and field-map groups of a session's analysis, as ``write_session_maps`` stores them:
    the one place that names them, for ``nvscope fit``, the GUI (the maps it showed) and the study. Plain dicts
    of arrays, so the GUI can send them to its file process. ``d_hz`` is stored as ``assumed_d_hz`` (files
    before 0.2 may hold ``d_hz_assumed``: read both)."""
    settings = {**fit_attributes, "n_steps_used": int(n_steps_used), "assumed_d_hz": float(d_hz)}
    if written_by:
        settings["written_by"] = written_by
    info = background_info or {}
    noise = float(info.get("noise_t", np.nan))
    background = {"background_t": np.asarray(background_t)}
    if info.get("used") is not None:
        background["used_mask"] = np.asarray(info["used"], dtype=bool)
    field = {"b_nv_t": np.asarray(b_nv_t), "b_nv_residual_t": np.asarray(residual_t)}
    if b_nv_err_t is not None:
        field["b_nv_err_t"] = np.asarray(b_nv_err_t)
    return {"fit": {"arrays": fit_arrays, "units": {k: v for k, v in FIT_UNITS.items() if k in fit_arrays},
                    "settings": settings},
            "background": {"arrays": background, "settings": {
                "order": int(info.get("order", 2)),
                "coefficients_t": np.asarray(info.get("coefficients_t", []), dtype=np.float64).tolist(),
                "noise_t": noise if np.isfinite(noise) else None}},
            "field_map": {"arrays": field, "settings": {
                "pixel_size_m": None if pixel_size_m is None else float(pixel_size_m), "binning": int(binning),
                "residual": "b_nv_t minus the robust polynomial background"}}}


def assumed_d_hz(fit_settings, default=float("nan")):
    """The D (Hz) a stored fit assumed, from its settings (either name a version of nvscope wrote)."""
    return float(fit_settings.get("assumed_d_hz", fit_settings.get("d_hz_assumed", default)))


def write_session_maps(path, maps, covariance=True):
    """Write ``session_maps``'s groups into the session file (replacing earlier results); ``covariance`` False
    leaves the per-pixel parameter covariance out (``write_fit_results``)."""
    fit, background, field = maps["fit"], maps["background"], maps["field_map"]
    write_fit_results(path, fit["arrays"], units=fit["units"], settings=fit["settings"], covariance=covariance)
    write_background(path, background["arrays"], settings=background["settings"])
    write_field_map(path, field["arrays"], settings=field["settings"])


def fit_session_file(path, model="15N", d_hz=None, binning=1, order=2, covariance=True, session=None):
    """Fit every pixel, remove the background and write the fit maps, background and field maps into ``path``
    (an adaptive pass: both passes combined, ``fit_spectra_of``).

    d_hz: zero-field splitting for one-transition sweeps (default: the simulated truth's, else physics' D).
    covariance: False leaves the per-pixel parameter covariance out of the file (``write_fit_results``).
    session: ``path`` already read (``read_session``), so a caller that goes on to the cells reads the sums once
    (then ``analysis.session.maps_reader.with_results(session)`` adds the maps just written).
    """
    session = session or read_session(path)
    cube, freq_hz, transitions, sigma = fit_spectra_of(session)
    if d_hz is None:
        d_hz = ((session.truth or {}).get("sample") or {}).get("d_hz", physics.ZERO_FIELD_SPLITTING_HZ)
    fit = fit_odmr(cube, freq_hz, model=model, transitions=transitions, d_hz=float(d_hz), binning=binning,
                   sigma=sigma)
    try:
        pixel_size_m = session_pixel_size_m(session) * binning
    except CalibrationError:  # the ODMR fit needs no pixel size; the cell analysis refuses such a file later
        pixel_size_m = None
    b_nv = np.where(fit.converged, fit.b_nv_t, np.nan)
    background, residual, info = remove_background(b_nv, order=order, pixel_size_m=pixel_size_m)
    write_session_maps(path, session_maps(fit.to_arrays(), fit.attributes(), freq_hz.size, d_hz, background,
                                          {**info, "order": order}, fit.b_nv_t, fit.b_nv_err_t, residual,
                                          pixel_size_m, binning), covariance=covariance)
    finite = residual[np.isfinite(residual)]
    noise = float(1.4826 * np.median(np.abs(finite - np.median(finite)))) if finite.size else float("nan")
    return FieldMapSummary(str(path), fit.converged_fraction, int(freq_hz.size), transitions, noise,
                           float(np.nanmedian(fit.b_nv_t)))
