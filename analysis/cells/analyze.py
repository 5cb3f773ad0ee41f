"""``analyze_field_map``: every cell of a background-subtracted B_NV map, from detection to normalised field.

Steps (docs/cells.md has the reasoning):
1. noise: ``noise_t`` or the map's robust pixel-difference estimate (``detection.map_noise_t``);
2. cells: matched-filter detection verified by fitting (``deblend.detect_and_fit``), or the given
   ``positions_px``; all fitted as point dipoles with their neighbours' fields subtracted (deblending);
3. CNN on each deblended 32 x 32 snippet (batched), the map's pixel size checked against the model card;
4. hybrid refinement (``refine_snippets``) started from the CNN: the fit and the CNN (with its held-out
   scatter) combined by their uncertainties, in parallel over cells;
5. normalised field of the refined iron mass on the reference cell, flags, and the snippet triptych.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis import physics

from . import flags as F
from .cnn import CellCNN
from .cnn_frame import cnn_frame
from .cnn_refine import refine_with_cnn
from .deblend import detect_and_fit, fit_cells_in_map
from .detection import DEFAULT_DETECTION_SNR, map_noise_t
from .refine import naive_start
from .resample import bin_factor, bin_map, to_binned_px, unbin_result
from .snippets import SNIPPET_SIZE, cut_snippets
from .usable import usable_verdict

GRAM_KG = 1e-3
RECORD_FIELDS = ("row_px", "col_px", "z_m", "diameter_m", "iron_mass_g", "background_t", "normalised_field_t",
                 "row_px_err", "col_px_err", "z_m_err", "diameter_m_err", "iron_mass_g_err", "background_t_err",
                 "normalised_field_t_err", "reduced_chi2", "snr", "noise_t")
CNN_RECORD_FIELDS = ("x_px", "y_px", "z_m", "diameter_m", "iron_mass_kg", "background_t")
HYBRID_SHIFT_PX = 4.0
GIVEN_POSITION_NEIGHBOURS = 3
"""With given positions, up to this many unknown neighbours per snippet are modelled by the refinement."""


@dataclass
class CellResult:
    """One analysed cell. Positions in map pixels (row = y, col = x, sub-pixel), SI units otherwise except
    ``iron_mass_g`` (grams, the public unit). Every value has a one-sigma ``*_err``.

    ``snippet_row``, ``snippet_col``: the integer pixel its snippet (map[r-16:r+16, c-16:c+16]) is centred on;
    ``measured_t`` that snippet as cut from the map, ``reconstructed_t`` the fitted model (cell + background +
    the neighbours' fields that were subtracted), ``residual_t`` = measured - reconstructed (0 on padding).
    ``cnn``: the CNN's raw outputs for the snippet (empty without a CNN); ``model_identity``: the model's name,
    version, file and SHA-256 for the session file; ``physics_only``: the fit alone, before combining.
    ``record()`` gives the row for the session file's cell table.
    """

    row_px: float
    col_px: float
    z_m: float
    diameter_m: float
    iron_mass_g: float
    background_t: float
    normalised_field_t: float
    row_px_err: float
    col_px_err: float
    z_m_err: float
    diameter_m_err: float
    iron_mass_g_err: float
    background_t_err: float
    normalised_field_t_err: float
    reduced_chi2: float
    flag: int
    flag_names: tuple
    snr: float
    noise_t: float
    snippet_row: int
    snippet_col: int
    measured_t: np.ndarray = field(repr=False)
    reconstructed_t: np.ndarray = field(repr=False)
    residual_t: np.ndarray = field(repr=False)
    cnn: dict = field(repr=False, default_factory=dict)
    model_identity: dict = field(repr=False, default_factory=dict)
    physics_only: dict = field(repr=False, default_factory=dict)
    usable: bool = True
    usable_reason: str = "ok"
    """Why the numbers can (ok) or cannot be trusted, one line (``usable.usable_verdict``)."""
    cnn_note: str = ""
    """Why the CNN was not used for this cell ('' when it was, or when no CNN was asked for)."""

    @property
    def iron_mass_kg(self):
        return self.iron_mass_g * GRAM_KG

    def record(self):
        """One row of the session file's cell table (``analysis.session.write_cells``): the scalar results,
        names carrying their units, ``flag_names`` joined by '|', the CNN's raw outputs as ``cnn_*`` (NaN
        without a CNN) and ``model_sha256`` ('' without a CNN)."""
        row = {name: getattr(self, name) for name in RECORD_FIELDS}
        row["flag"] = int(self.flag)
        row["flag_names"] = "|".join(self.flag_names)
        row["snippet_row_px"], row["snippet_col_px"] = int(self.snippet_row), int(self.snippet_col)
        for key in CNN_RECORD_FIELDS:
            row["cnn_" + key] = float(self.cnn.get(key, float("nan")))
        row["model_sha256"] = self.model_identity.get("sha256", "")
        row["usable"], row["usable_reason"] = bool(self.usable), str(self.usable_reason)
        row["cnn_note"] = str(self.cnn_note)
        return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in row.items()}


def _resolve_model(model):
    if model is False:
        return None
    if isinstance(model, CellCNN):
        return model
    return CellCNN(None if model is None else Path(model))


def _check_map(b_nv_map_t, pixel_size_m):
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    if m.ndim != 2 or min(m.shape) < SNIPPET_SIZE // 2:
        raise ValueError(f"b_nv_map_t has shape {np.shape(b_nv_map_t)}; give a 2-D (rows, cols) map of at least "
                         f"{SNIPPET_SIZE // 2} x {SNIPPET_SIZE // 2} pixels, in tesla.")
    bad = int(np.sum(~np.isfinite(m)))
    if bad:
        raise ValueError(f"the B_NV map has {bad} NaN or inf pixels (unfitted ODMR pixels?); fill them (e.g. with "
                         "the median of their neighbours) or crop them away before analysing cells.")
    if not (np.isfinite(pixel_size_m) and pixel_size_m > 0):
        raise ValueError(f"pixel_size_m = {pixel_size_m!r}; give the pixel size at the sample in metres (1.3e-6).")
    return m


def _check_positions(positions_px, shape):
    pos = np.asarray(positions_px, dtype=np.float64).reshape(-1, 2) if len(positions_px) else np.zeros((0, 2))
    if not np.all(np.isfinite(pos)):
        raise ValueError("positions_px contains NaN or inf; give (row, col) pixel positions inside the map.")
    outside = (pos[:, 0] < -0.5) | (pos[:, 0] > shape[0] - 0.5) | (pos[:, 1] < -0.5) | (pos[:, 1] > shape[1] - 0.5)
    if np.any(outside):
        r, c = pos[np.argmax(outside)]
        raise ValueError(f"position (row {r:g}, col {c:g}) is outside the {shape[0]} x {shape[1]} map; give "
                         "(row, col) pixel positions inside it.")
    return pos


def _given_cells(m, pixel_size_m, positions, noise, angles):
    rows, cols = np.rint(positions[:, 0]).astype(int), np.rint(positions[:, 1]).astype(int)
    snippets, _, _ = cut_snippets(m - np.median(m), rows, cols)
    start = naive_start(snippets, pixel_size_m, nv_polar_deg=angles["nv_polar_deg"])
    start["x_px"], start["y_px"] = positions[:, 1] - cols, positions[:, 0] - rows
    return fit_cells_in_map(m, pixel_size_m, rows, cols, start, noise, **angles)


def analyze_field_map(b_nv_map_t, pixel_size_m=None, positions_px=None, noise_t=None, *, model=None,
                      reference_z_m=physics.REFERENCE_Z_M, reference_diameter_m=physics.REFERENCE_DIAMETER_M,
                      nv_polar_deg=physics.NV_POLAR_ANGLE_DEG, nv_azimuth_deg=physics.DEFAULT_NV_AZIMUTH_DEG,
                      detection_snr=DEFAULT_DETECTION_SNR, calibration=None, steps_done=None, steps_planned=None):
    """Analyse every cell of a background-subtracted B_NV map (T, (rows, cols), rows = y).

    positions_px: None (detect the cells, threshold ``detection_snr`` noise sigmas of the matched filter) or
    a sequence of (row, col) pixel positions, one result each, in that order. noise_t: per-pixel noise sigma
    (T); None estimates it from the map. model: None (the committed CNN), a ``CellCNN``, a path to an .onnx
    file, or False (physics only: no diameter, flag NO_CNN). calibration: an ``analysis.calibration.Calibration``
    (a session's): its pixel size and image-frame NV axis replace ``pixel_size_m`` and ``nv_*_deg``. Any pixel
    size and any of the four [100] NV azimuths runs the CNN through the scale and square symmetries
    (``cnn_frame``); other axes, and cells whose scaled height or mass lie outside the CNN's training ranges,
    get the physics fit alone (flag NO_CNN, ``cnn_note`` says why). steps_done, steps_planned: frequency steps
    the map was fitted from and the sweep's plan (a live map: not usable). reference_z_m,
    reference_diameter_m: the reference cell of the normalised field. Returns a list of ``CellResult``.
    """
    if calibration is not None:
        kw = calibration.analysis_kwargs()
        pixel_size_m, nv_polar_deg, nv_azimuth_deg = kw["pixel_size_m"], kw["nv_polar_deg"], kw["nv_azimuth_deg"]
    if pixel_size_m is None:
        raise ValueError("give pixel_size_m or a calibration: no analysis assumes a pixel size.")
    m = _check_map(b_nv_map_t, pixel_size_m)
    cnn = _resolve_model(model)
    frame, cnn_note = None, ""
    k = bin_factor(pixel_size_m, cnn.pixel_size_m) if cnn is not None else 1
    if k > 1:  # pixels much finer than the CNN's: analyse the k x k binned map (``resample``)
        positions = None if positions_px is None else to_binned_px(_check_positions(positions_px, m.shape), k)
        binned = analyze_field_map(
            bin_map(m, k), pixel_size_m * k, positions, None if noise_t is None else noise_t / k, model=cnn,
            reference_z_m=reference_z_m, reference_diameter_m=reference_diameter_m, nv_polar_deg=nv_polar_deg,
            nv_azimuth_deg=nv_azimuth_deg, detection_snr=detection_snr, steps_done=steps_done,
            steps_planned=steps_planned)
        note = f"map binned {k} x {k} to {pixel_size_m * k * 1e6:.3g} um pixels for the CNN"
        return [unbin_result(r, k, note) for r in binned]
    if cnn is not None:
        frame = cnn_frame(cnn.card, pixel_size_m, nv_polar_deg, nv_azimuth_deg)
        if isinstance(frame, str):
            cnn, frame, cnn_note = None, None, "no CNN: " + frame
    noise = map_noise_t(m) if noise_t is None else float(noise_t)
    if not (np.isfinite(noise) and noise > 0):
        raise ValueError(f"noise_t = {noise!r} T; give the per-pixel noise sigma (> 0) or None to estimate it.")
    angles = {"nv_polar_deg": nv_polar_deg, "nv_azimuth_deg": nv_azimuth_deg}
    if positions_px is None:
        fits, _ = detect_and_fit(m, pixel_size_m, noise, detection_snr=detection_snr, **angles)
        if fits is None or len(fits.row) == 0:
            return []
    else:
        positions = _check_positions(positions_px, m.shape)
        if len(positions) == 0:
            return []
        fits = _given_cells(m, pixel_size_m, positions, noise, angles)
    n = len(fits.row)
    valid = fits.valid
    # detected cells are all subtracted already; around given positions other cells may be unknown
    unknown_neighbours = 0 if positions_px is None else GIVEN_POSITION_NEIGHBOURS
    fill = np.array([np.median(s[v]) for s, v in zip(fits.snippets, valid, strict=True)])
    clean = np.where(valid, fits.snippets, fill[:, None, None])
    physics_start = {"x_px": fits.col_px - fits.col, "y_px": fits.row_px - fits.row, "z_m": fits.z_m,
                     "iron_mass_kg": fits.iron_mass_kg, "background_t": fits.fits.background_t}
    refined, pred, sig, use_cnn, notes = refine_with_cnn(
        clean, physics_start, fits.z_m, fits.iron_mass_kg, cnn, frame, pixel_size_m, noise, valid=valid,
        max_neighbours=unknown_neighbours, max_shift_px=HYBRID_SHIFT_PX, **angles)
    notes = [note or cnn_note for note in notes]
    flags = _flags(fits, refined, pred, cnn, noise, detection_snr, use_cnn, frame)
    ranges = cnn.card.get("training_ranges", {}) if cnn is not None else None
    usable, reasons = usable_verdict(
        converged=refined.converged, snr=fits.significance, min_snr=detection_snr, noise_t=noise,
        z_m=refined.z_m, z_err_m=refined.z_m_err, iron_mass_kg=refined.iron_mass_kg,
        iron_mass_err_kg=refined.iron_mass_kg_err, ranges=ranges, scale=frame.scale if frame else 1.0,
        disagree=refined.disagree, steps_done=steps_done, steps_planned=steps_planned, at_bound=refined.at_bound)
    per_kg = physics.normalised_field_per_kg(reference_z_m, nv_polar_deg)
    measured, _, _ = cut_snippets(m, fits.row, fits.col)
    identity = cnn.identity() if cnn is not None else {}
    results = []
    for i in range(n):
        mass = refined.iron_mass_kg[i]
        others = fits.others_t[i]
        results.append(CellResult(
            row_px=float(fits.row[i] + refined.y_px[i]), col_px=float(fits.col[i] + refined.x_px[i]),
            z_m=float(refined.z_m[i]), diameter_m=float(pred["diameter_m"][i]) if pred else float("nan"),
            iron_mass_g=float(mass / GRAM_KG), background_t=float(refined.background_t[i]),
            normalised_field_t=float(physics.normalised_field_t(mass, reference_z_m, reference_diameter_m,
                                                                nv_polar_deg)),
            row_px_err=float(refined.y_px_err[i]), col_px_err=float(refined.x_px_err[i]),
            z_m_err=float(refined.z_m_err[i]), diameter_m_err=float(sig["diameter_m"][i]) if sig else float("nan"),
            iron_mass_g_err=float(refined.iron_mass_kg_err[i] / GRAM_KG),
            background_t_err=float(refined.background_t_err[i]),
            normalised_field_t_err=float(per_kg * refined.iron_mass_kg_err[i]),
            reduced_chi2=float(refined.reduced_chi2[i]), flag=int(flags[i]), flag_names=F.flag_names(flags[i]),
            snr=float(fits.significance[i]), noise_t=float(noise), snippet_row=int(fits.row[i]),
            snippet_col=int(fits.col[i]), measured_t=np.where(valid[i], measured[i], np.nan),
            reconstructed_t=np.where(valid[i], refined.model_t[i] + others, np.nan),
            residual_t=np.where(valid[i], refined.residual_t[i], np.nan),
            cnn={k: float(v[i]) for k, v in pred.items()} if use_cnn[i] else {},
            model_identity=identity if use_cnn[i] else {},
            physics_only={k: float(v[i]) for k, v in refined.physics_only.items()},
            usable=bool(usable[i]), usable_reason=reasons[i], cnn_note=notes[i],
        ))
    return results


def _flags(fits, refined, pred, cnn, noise, detection_snr, use_cnn, frame):
    n = len(fits.row)
    out = np.zeros(n, dtype=np.int64)
    out[~refined.converged] |= F.NOT_CONVERGED
    out[fits.at_edge] |= F.AT_EDGE
    out[F.residual_inconsistent(refined.reduced_chi2, refined.dof)] |= F.RESIDUAL_INCONSISTENT
    out[refined.at_bound] |= F.AT_BOUND
    out[fits.significance < detection_snr] |= F.WEAK
    half = SNIPPET_SIZE // 2
    for i in range(n):
        near = (np.abs(fits.row_px - fits.row[i]) < half) & (np.abs(fits.col_px - fits.col[i]) < half)
        if np.sum(near) > 1:
            out[i] |= F.OVERLAP
    out[~use_cnn] |= F.NO_CNN
    if cnn is None:
        return out
    # compared at the CNN's own pixel: lengths / scale, masses / scale^3
    ranges = cnn.card.get("training_ranges", {})
    s = frame.scale
    values = {"z_m": refined.z_m / s, "iron_mass_kg": refined.iron_mass_kg / s**3,
              "diameter_m": pred.get("diameter_m", np.full(n, np.nan)) / s, "noise_sigma_t": np.full(n, noise)}
    for key, v in values.items():
        if key in ranges:
            lo, hi = ranges[key]
            out[use_cnn & ((v < lo) | (v > hi))] |= F.OUTSIDE_TRAINING_RANGE
    out[use_cnn & refined.disagree] |= F.CNN_REFINEMENT_DISAGREE
    return out
