"""The per-cell analysis the window uses: ``analysis.cells.analyze_field_map`` behind the ``CellAnalyzer`` seam.

What this adapter adds for the window:
- the live field map has NaN where the ODMR fit did not converge; the analysis needs a full map, so those
  pixels are filled as ``nvscope analyze`` fills them (``analysis.session_cells.fill_unfitted_pixels``);
- a click is rarely on the dipole's centre (users click a lobe): the matched-filter detection runs in a window
  around the click and the nearest signature is analysed (the click itself when none is found);
- one CNN session (``CellCNN``) is loaded once and shared by all clicks; every result carries the model's
  SHA-256 and card, which the session file stores with the table (``write_cells(models=)``); without the model
  file the analysis runs on physics alone (no diameter; flag NO_CNN) and says so.
"""

import dataclasses
import math
import threading
from pathlib import Path

from analysis.calibration import CalibrationError
from analysis.cells import CellCNN, analyze_field_map, default_model_path, detect_cells, map_noise_t
from analysis.session_cells import fill_unfitted_pixels

NEAR_WINDOW_PX = 48
"""Half-size of the window searched around a click (px); a dipole's lobes lie within ~1.5 z of its centre."""
NEAR_RADIUS_PX = 24.0
"""The nearest signature is used only when it lies within this distance of the click (px)."""


class CellAnalysis:
    """``CellAnalyzer``: ``f(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, *, calibration=None,
    steps_done=None, steps_planned=None) -> list of dict`` (the ``CellResult`` fields plus ``model_sha256`` and
    ``model_card``). ``calibration`` (the session's ``Calibration``, required) gives the pixel size and the
    image-frame NV axis. A map fitted from fewer
    steps than planned (a live map) gives cells marked not usable, with the reason."""

    def __init__(self, model_path=None):
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.uses_cnn = self.model_path.is_file()
        self._cnn = None
        self._lock = threading.Lock()

    @property
    def description(self):
        return ("CNN + physics refinement" if self.uses_cnn else
                f"physics refinement only (no CNN: {self.model_path} is missing)")

    def cnn(self):
        """The shared ``CellCNN``, or None without the model file."""
        with self._lock:
            if self._cnn is None and self.uses_cnn:
                self._cnn = CellCNN(self.model_path)
            return self._cnn

    def __call__(self, b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, *, calibration=None,
                 steps_done=None, steps_planned=None):
        m, _ = fill_unfitted_pixels(b_nv_map_t)
        noise = map_noise_t(m) if noise_t is None else float(noise_t)
        if calibration is None:  # no assumed NV axis: the window always has the session's (or the backend's)
            raise CalibrationError(f"no calibration given with the {pixel_size_m!r} m map; pass the session's "
                                   "calibration= (pixel size and NV axis) to analyse cells.")
        angles = {"nv_polar_deg": calibration.image_nv_polar_deg, "nv_azimuth_deg": calibration.image_nv_azimuth_deg}
        pixel_size_m = calibration.pixel_size_m
        if positions_px is not None:
            positions_px = [self.nearest_signature(m, pixel_size_m, row, col, noise, **angles)
                            for row, col in positions_px]
        cnn = self.cnn()
        results = analyze_field_map(m, pixel_size_m, positions_px, noise, model=cnn if cnn is not None else False,
                                    calibration=calibration, steps_done=steps_done, steps_planned=steps_planned)
        sha, card = (cnn.sha256, cnn.card) if cnn is not None else ("", None)
        # the CellResult's fields under the cell record's names (the file calls the reconstruction model_t)
        return [{**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)}, "model_t": r.reconstructed_t,
                 "model_sha256": sha, "model_card": card, "record": r.record()} for r in results]

    @staticmethod
    def nearest_signature(m, pixel_size_m, row, col, noise_t, *, nv_polar_deg, nv_azimuth_deg):
        """(row, col) of the detected dipole nearest to a click at (row, col), or the click itself; the NV
        angles are the image frame's (``Calibration.image_nv_*``): the templates must match the map's dipoles."""
        r0, c0 = max(int(row) - NEAR_WINDOW_PX, 0), max(int(col) - NEAR_WINDOW_PX, 0)
        window = m[r0:int(row) + NEAR_WINDOW_PX, c0:int(col) + NEAR_WINDOW_PX]
        found = detect_cells(window, pixel_size_m, noise_t, nv_polar_deg=nv_polar_deg, nv_azimuth_deg=nv_azimuth_deg)
        best, best_d = (float(row), float(col)), NEAR_RADIUS_PX
        for d in found:
            distance = math.hypot(d.row_px + r0 - row, d.col_px + c0 - col)
            if distance < best_d:
                best, best_d = (d.row_px + r0, d.col_px + c0), distance
        return best
