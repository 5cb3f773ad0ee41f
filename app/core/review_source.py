"""Review mode: a saved session file served to the window through the same pull interface as the live
``AcquisitionController`` (``snapshot``, ``spectrum``, ``fit_curve``, ``field_maps``, ``deepest_step``), so
the views do not know whether they show a running sweep or a file. No instrument is involved.

There is no camera frame in a session file: the camera view shows the mean RF-off frame of the chosen step
(off_sum / n_pairs, ADU) and the contrast view its spin contrast; ``select_step(k)`` browses the cube.
"""

import math
from types import SimpleNamespace

import numpy as np

from analysis.calibration import Calibration
from analysis.pipeline import assumed_d_hz
from analysis.session import read_session, write_calibration
from app.core.acquisition_controller import AcquisitionSnapshot
from app.core.adaptive_plan import plan_marks
from app.core.cells import rows_of_table
from app.core.field_maps import FieldMaps
from app.core.fit_curve import deepest_step, fit_curve
from app.core.fit_quality import weighted_reduced_chi2

REVIEW = "review"


def field_maps_of(session):
    """The ``FieldMaps`` stored in a session (fit, background and field map groups), or None without a field
    map. The fit is optional: an imported field map (``nvscope import --units``) has none, and then the fit
    quality is NaN, ``fit`` holds no arrays and no step was fitted."""
    fit, background, field = session.fit, session.background, session.field_map
    if field is None or "b_nv_t" not in field:
        return None
    b_nv_t = np.asarray(field["b_nv_t"], dtype=np.float64)
    residual = field["b_nv_residual_t"] if "b_nv_residual_t" in field else None
    background_t = background["background_t"] if background is not None and "background_t" in background else None
    if residual is None and background_t is not None:
        residual = b_nv_t - background_t
    if background_t is None:
        background_t = np.full(b_nv_t.shape, np.nan)
    if fit is None:
        quality, arrays, settings, n_used = np.full(b_nv_t.shape, np.nan), {}, {}, 0
    else:
        arrays, settings = fit.arrays, fit.settings
        if "reduced_chi2" in fit:  # weighted by the spectra's noise: ~1 for a good fit, as in the live view
            # float32, the live cube's type: the review shows the very numbers the sweep showed
            cube = session.spin_contrast().astype(np.float32)
            quality = weighted_reduced_chi2(fit["reduced_chi2"], cube, freq_axis=0)
        else:
            quality = np.full(b_nv_t.shape, np.nan)
        n_used = int(settings.get("n_steps_used", session.n_steps_completed))
    info = dict(background.settings) if background is not None else {}
    if background is not None and "used_mask" in background:
        info["used"] = background["used_mask"]
    return FieldMaps(b_nv_t, np.asarray(background_t, dtype=np.float64), np.asarray(residual, dtype=np.float64),
                     np.asarray(quality, dtype=np.float64), SimpleNamespace(**arrays), n_used, math.nan,
                     assumed_d_hz(settings), info)


def store_pixel_size(path, pixel_size_um, binning=1):
    """Give a session that recorded no pixel size (real hardware before calibrations were stored) one: a
    ``Calibration`` of that unbinned pixel size (um at the sample) and binning, the old default NV azimuth,
    stored with ``analysis.session.write_calibration``. Returns the session read again."""
    calibration = Calibration(pixel_size_unbinned_m=float(pixel_size_um) * 1e-6, binning=int(binning),
                              source="entered by the user for an older file (NV axis: the old default)")
    write_calibration(path, calibration)
    return read_session(path)


class ReviewSource:
    """One session file, read once (``analysis.session.read_session``). A file without any pixel size raises
    ``CalibrationError`` (``store_pixel_size`` gives it one)."""

    running = False

    def __init__(self, session, model="15N"):
        self.session = session
        self.path = session.path
        self.model = model
        self.calibration = session.calibration  # CalibrationError for a file without any pixel size
        self.pixel_size_m = self.calibration.pixel_size_m
        self.cube = session.spin_contrast().astype(np.float32)
        self.done = np.asarray(session.step_done, dtype=bool)
        self.freq_hz = np.asarray(session.freq_hz, dtype=np.float64)
        self.maps = field_maps_of(session)
        used = np.flatnonzero(self.done)[:self.maps.n_steps_used] if self.maps is not None else []
        windows = np.asarray(session.window_index)[used]
        self._fit_freq_hz = self.freq_hz[used]
        self._window_sizes = tuple(int(np.count_nonzero(windows == w)) for w in np.unique(windows))
        self.cells = rows_of_table(session.cells)
        self.step = deepest_step(self.cube)
        self.step = self.step if self.step is not None else 0
        self._version = 1

    @property
    def frame_shape(self):
        return self.session.frame_shape

    def select_step(self, step):
        """Show step ``step`` (0-based) of the cube in the contrast and camera views."""
        step = int(np.clip(step, 0, self.session.n_steps - 1))
        if step != self.step:
            self.step = step
            self._version += 1

    def mean_frame_adu(self, step):
        """Mean RF-off camera frame of a step (ADU, dark frame not subtracted), None without data."""
        n = int(self.session.n_pairs[step])
        return self.session.off_sum[step] / n if n else None

    def snapshot(self):
        s = self.session
        return AcquisitionSnapshot(REVIEW, s.n_steps_completed, s.n_steps, self.step, int(s.n_sweeps[self.step]) - 1,
                                   float(self.freq_hz[self.step]), 0.0, math.nan, self._version,
                                   self.cube[self.step], self._version, self.mean_frame_adu(self.step), 1,
                                   self.maps, s.status_reason or None, None)

    def field_maps(self):
        return self.maps

    def spectrum(self, row, col):
        if not (0 <= row < self.cube.shape[1] and 0 <= col < self.cube.shape[2]):
            return None
        return self.freq_hz, self.cube[:, row, col].copy()

    def fit_curve(self, row, col):
        if self.maps is None or not self._window_sizes or self.session.fit is None:
            return None
        return fit_curve(self.maps.fit, row, col, self._fit_freq_hz, self._window_sizes, self.model)

    def deepest_step(self):
        k = deepest_step(self.cube)
        return None if k is None else (k, float(self.freq_hz[k]), self.cube[k])

    def contrast_cube(self):
        return self.cube.copy()

    def plan_marks(self):
        """(freq_hz, pairs) of the adaptive plan the session ran, as it was made; a plan with per-step pairs
        from the session's own record otherwise; None for a uniform sweep."""
        marks = plan_marks((self.session.sample_metadata or {}).get("adaptive_plan"))
        pairs = (self.session.plan or {}).get("pairs_per_step")
        if marks is None and isinstance(pairs, list) and len(pairs) == self.freq_hz.size:
            marks = (self.freq_hz, np.asarray(pairs, dtype=np.int64))
        return marks
