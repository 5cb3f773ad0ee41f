"""One live fit's result (``FieldMaps``), how it is made from a cube of spectra, and how it crosses a pipe.

``fit_field_maps`` is the fit the live view shows: the ODMR fit, the background removed from the converged pixels,
the fit quality. The acquisition controller runs it in the live fitter's thread (``AnalysisSeams()``, the command
line, tests) or in the live-fit process (the window: ``app.core.fit_process``), which sends the maps back with
``maps_message`` / ``maps_from_message``. Qt-free.
"""

import time
from dataclasses import dataclass, fields

import numba
import numpy as np

from analysis import physics
from analysis.odmr.result import OdmrFitResult
from app.core.fit_quality import weighted_reduced_chi2


@dataclass(frozen=True)
class FieldMaps:
    """One live fit: B_NV (T), its background and the background-subtracted residual (T; NaN where the fit did
    not converge, as in ``analysis.pipeline.fit_session_file``), the fit quality (reduced chi2 map), the fit
    result itself, how many steps went in, the D assumed for one transition (Hz) and the background's info."""

    b_nv_t: np.ndarray
    background_t: np.ndarray
    residual_t: np.ndarray
    quality: np.ndarray
    fit: object
    n_steps_used: int
    fit_s: float
    d_hz: float = physics.ZERO_FIELD_SPLITTING_HZ
    background_info: dict = None


def fit_field_maps(seams, cube, freq_hz, transitions, d_hz, pixel_size_m, sigma=None):
    """Fit ``cube`` (rows, cols, n_freq) with ``seams.fit_odmr`` and remove the background of the converged
    pixels with ``seams.remove_background``: the ``FieldMaps`` of the live view. ``sigma``: per-point standard
    errors (passes combined by an adaptive sweep), or None."""
    t0 = time.perf_counter()
    extra = {} if sigma is None else {"sigma": sigma}
    fit = seams.fit_odmr(cube, freq_hz, model=seams.model, transitions=transitions, d_hz=d_hz, **extra)
    b_nv_t = np.asarray(fit.b_nv_t, dtype=np.float64)
    converged = np.asarray(fit.converged, dtype=bool)
    background_t, residual_t, info = seams.remove_background(np.where(converged, b_nv_t, np.nan),
                                                             pixel_size_m=pixel_size_m)
    quality = weighted_reduced_chi2(fit.reduced_chi2, cube)  # ~1 for a good fit, as the cell table's
    info = {**dict(info or {}), "order": (info or {}).get("order", 2)}
    return FieldMaps(b_nv_t, np.asarray(background_t), np.asarray(residual_t), quality, fit, len(freq_hz),
                     time.perf_counter() - t0, d_hz, info)


def warm_up_fit(seams):
    """Fit a tiny synthetic cube once, so that loading (or compiling) the fit's jitted code happens now and not
    in the middle of a sweep. Raises what the fit raises."""
    freq_hz = np.linspace(2.025e9, 2.033e9, 21)
    spectrum = physics.odmr_spectrum(freq_hz, 2.029e9, 1.0e6, 0.015, isotope=seams.model)
    cube = np.broadcast_to(spectrum, (8, 8, freq_hz.size)).astype(np.float32)
    fit = seams.fit_odmr(cube, freq_hz, model=seams.model, transitions=1)
    seams.remove_background(np.asarray(fit.b_nv_t, dtype=np.float64))


_SCALARS = ("model", "transitions", "binning", "assumed_d_hz", "branch")


def maps_message(maps):
    """``maps`` as a message for ``app.core.file_messages`` (JSON plus arrays)."""
    fit = maps.fit
    return {"b_nv_t": maps.b_nv_t, "background_t": maps.background_t, "residual_t": maps.residual_t,
            "quality": maps.quality, "n_steps_used": int(maps.n_steps_used), "fit_s": float(maps.fit_s),
            "d_hz": float(maps.d_hz), "background_info": dict(maps.background_info or {}),
            "fit": {"arrays": fit.to_arrays(), "param_names": list(fit.param_names),
                    **{name: getattr(fit, name) for name in _SCALARS}}}


def maps_from_message(message):
    """The ``FieldMaps`` that ``maps_message`` sent."""
    sent = message["fit"]
    known = {f.name for f in fields(OdmrFitResult)}
    fit = OdmrFitResult(**{k: v for k, v in sent["arrays"].items() if k in known},
                        param_names=tuple(sent["param_names"]), **{name: sent[name] for name in _SCALARS})
    return FieldMaps(message["b_nv_t"], message["background_t"], message["residual_t"], message["quality"], fit,
                     int(message["n_steps_used"]), float(message["fit_s"]), float(message["d_hz"]),
                     message["background_info"])


def leave_a_core_free():
    """Let numba kernels started from the calling thread (the live fit's, in the controller's thread or the
    live-fit process) use one core fewer than there are, for acquisition and the GUI; numba's thread count is per
    calling thread. The live fit runs at the GUI's scheduling priority: a niced fit thread, whenever it held or
    asked for the GIL, made the GUI thread wait behind its own wait for a CPU (longer stalls in
    bench_gui_responsiveness --burners 2; docs/performance.md, 2026-12-04)."""
    numba.set_num_threads(max(1, numba.config.NUMBA_NUM_THREADS - 1))
