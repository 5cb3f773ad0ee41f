"""Fitting every cell of a field map with its neighbours' fields taken out (deblending), and verifying detections.

Cells a few tens of micrometres apart overlap: a snippet fitted alone is pulled by its neighbours. So cells are
fitted in sweeps (Jacobi iteration): in each sweep every cell's snippet is cut from the map minus the current
model of all the *other* cells (point dipoles), and refined by ``refine_snippets`` (physics only). The sweeps
are Gauss-Seidel, by groups of cells whose snippets do not overlap (fitted together, in parallel, with the
earlier groups' updates already in): updating every cell at once from the others' old values (Jacobi)
oscillates in crowded fields, where two neighbours each take the shared field. ``n_sweeps`` (3) settle it;
a final fit of all cells in their deblended snippets gives the returned fits.

Verification of detections: a candidate is kept only if its own fitted field, over its snippet, stands out
of the noise: significance = sqrt(sum of the cell's modelled field^2 over the snippet's pixels) / noise (what a
matched filter with the fitted shape would give), at least ``detection_snr``; and a candidate whose fit moved
within ``MIN_SEPARATION_PX`` of a stronger cell is merged into it. Matched-filter ridges between neighbours and
the lobes of strong cells fail this test once the real cells are fitted and subtracted.
"""

from dataclasses import dataclass

import numpy as np

from analysis import physics

from .detection import MIN_SEPARATION_PX, detect_cells
from .refine import refine_snippets
from .snippets import SNIPPET_SIZE, cut_snippets, dipoles_map_t
from .wings import in_a_wing

DEFAULT_SWEEPS = 3
DEFAULT_PASSES = 2
SHADOW_RADIUS_PX = 14.0
SHADOW_FRACTION = 0.3
DEPTH_TO_DISTANCE = 1.0
"""A cell deeper than this times its lateral distance to a stronger one is not told apart from it. 1.0 (was
1.25): deep weak fits 16-19 px beside a strong cell were false cells (docs/cells.md, "No false cells"); cells
>= 35 um apart at z <= 25 um never come near it, while in crowded fields (22 um apart) it costs ~4 % of the
cells found."""
MAX_TOTAL_SHIFT_PX = 6.0
"""How far a fitted cell may end from where it was detected (or given)."""
MAX_DETECTED_Z_M = 35e-6
"""Auto-detection reports no dipole fitted deeper than this: a cell adhered to the diamond has its centre a few
micrometres above its radius (6-25 um), while a smooth residual of the background removal (1-3 noise sigmas
over 20-40 px, strongest at the map's edges) fits as a weak dipole 34-41 um deep (4 of the 7 false detections
of ``python -m models.pipeline_study_accuracy``). The study's distance window ends here too."""
DEBLEND_Z_BOUNDS_M = (1e-6, 45e-6)
"""Heights allowed while deblending: a free point dipole in a crowded field otherwise drifts deep (z -> 60 um,
mass x 50) to soak up its neighbours' wings; 45 um is beyond the CNN's training range (40 um)."""
_REFERENCE = SNIPPET_SIZE // 2
_SNIPPET_HALF_DIAGONAL_PX = SNIPPET_SIZE / np.sqrt(2.0)
OTHERS_NOISE_FRACTION = 0.2
"""Cells whose field at a snippet is below this fraction of the noise are not subtracted from it (the
snippet fit's plane takes up what the distant ones add)."""


@dataclass
class MapFits:
    """Per cell (arrays (N,)): snippet centre pixel (row, col), fitted centre (row_px, col_px) in map pixels,
    z_m, iron_mass_kg, significance (noise sigmas); ``snippets`` (N, 32, 32) cut from the map with the other
    cells' models subtracted, ``valid`` (N, 32, 32), ``at_edge`` (N,), ``others_t`` (N, 32, 32) the other
    cells' model that was subtracted, and ``fits`` the last ``SnippetFits``."""

    row: np.ndarray
    col: np.ndarray
    row_px: np.ndarray
    col_px: np.ndarray
    z_m: np.ndarray
    iron_mass_kg: np.ndarray
    significance: np.ndarray
    snippets: np.ndarray
    valid: np.ndarray
    at_edge: np.ndarray
    others_t: np.ndarray
    fits: object


def own_snippet_field_t(pixel_size_m, x_px, y_px, z_m, iron_mass_kg, nv_polar_deg, nv_azimuth_deg):
    """(N, 32, 32) B_NV of each cell's point dipole on its own snippet grid (positions in the snippet frame)."""
    u = physics.nv_axis(nv_polar_deg, nv_azimuth_deg)
    axis = (np.arange(SNIPPET_SIZE) - _REFERENCE) * pixel_size_m
    positions = np.stack([np.asarray(x_px) * pixel_size_m, np.asarray(y_px) * pixel_size_m, z_m], axis=1)
    moments = physics.iron_mass_to_moment_am2(np.asarray(iron_mass_kg))[:, None] * u[None, :]
    return physics.projected_field_snippets_t(axis, axis, positions, moments, np.arange(len(positions) + 1), u)


def fit_cells_in_map(b_nv_map_t, pixel_size_m, rows, cols, start, noise_t, *, n_sweeps=DEFAULT_SWEEPS,
                     verify_snr=None, nv_polar_deg=physics.NV_POLAR_ANGLE_DEG, nv_azimuth_deg):
    """Fit the cells whose snippets are centred on integer pixels (rows, cols), from ``start`` (dict of (N,)
    arrays x_px, y_px, z_m, iron_mass_kg in the snippet frame), deblending in sweeps; see the module docstring.

    verify_snr: None keeps every cell (given positions); a number drops candidates whose significance is
    below it, and merges candidates closer than MIN_SEPARATION_PX (auto-detection). Returns ``MapFits``.
    """
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    rows = np.asarray(rows, dtype=int)
    cols = np.asarray(cols, dtype=int)
    noise = np.broadcast_to(np.asarray(noise_t, dtype=np.float64), rows.shape).copy()
    state = {k: np.asarray(start[k], dtype=np.float64).copy() for k in ("x_px", "y_px", "z_m", "iron_mass_kg")}
    state["background_t"] = np.zeros(len(rows))
    anchor = {"x_px": state["x_px"].copy(), "y_px": state["y_px"].copy()}
    angles = (nv_polar_deg, nv_azimuth_deg)
    whole, valid, at_edge = cut_snippets(m, rows, cols)
    sweeps_left = n_sweeps
    while len(rows):
        order = np.argsort(-state["iron_mass_kg"] / np.maximum(state["z_m"], 1e-7) ** 3)  # strongest first
        _sweep(whole, valid, pixel_size_m, rows, cols, state, anchor, noise, angles,
               [order[g] for g in _colour_groups(rows[order], cols[order])])
        sweeps_left -= 1
        significance = _significance(state, valid, pixel_size_m, noise, angles)
        keep = np.ones(len(rows), dtype=bool) if verify_snr is None else \
            _verified(rows + state["y_px"], cols + state["x_px"], state["z_m"] / pixel_size_m, significance,
                      verify_snr, _wandered(state, anchor))
        if verify_snr is not None:  # a stronger cell's wing, background, or a centre outside the map: not a cell
            r_px, c_px = rows + state["y_px"], cols + state["x_px"]
            keep &= ~in_a_wing(r_px, c_px, state["z_m"], state["iron_mass_kg"], pixel_size_m, *angles)
            keep &= state["z_m"] <= MAX_DETECTED_Z_M
            keep &= (r_px >= -0.5) & (r_px <= m.shape[0] - 0.5) & (c_px >= -0.5) & (c_px <= m.shape[1] - 0.5)
        if not np.all(keep):
            rows, cols, noise, whole, valid, at_edge = (a[keep] for a in (rows, cols, noise, whole, valid, at_edge))
            state = {k: v[keep] for k, v in state.items()}
            anchor = {k: v[keep] for k, v in anchor.items()}
            sweeps_left = max(sweeps_left, 1)  # the survivors are refitted without the dropped ones
            continue
        if sweeps_left <= 0:
            break
    # a last fit of every cell at once in its deblended snippet gives consistent fits, snippets and residuals
    others = others_on_snippets_t(pixel_size_m, rows, cols, state, np.arange(len(rows)), angles) if len(rows) \
        else np.zeros((0, SNIPPET_SIZE, SNIPPET_SIZE))
    snippets = whole - others
    fits = _refine(snippets, valid, state, anchor, noise, pixel_size_m, angles) if len(rows) else None
    if fits is not None:
        state = {k: getattr(fits, k) for k in state}
    significance = _significance(state, valid, pixel_size_m, noise, angles)
    return MapFits(row=rows, col=cols, row_px=rows + state["y_px"], col_px=cols + state["x_px"], z_m=state["z_m"],
                   iron_mass_kg=state["iron_mass_kg"], significance=significance, snippets=snippets, valid=valid,
                   at_edge=at_edge, others_t=np.where(valid, others, 0.0), fits=fits)


def _colour_groups(rows, cols):
    """Greedy colouring: cells whose snippets do not overlap share a group (fitted together, in parallel)."""
    groups, members_rc = [], []
    for i in range(len(rows)):
        for g, rc in zip(groups, members_rc, strict=True):
            if all(abs(rows[i] - r) >= SNIPPET_SIZE or abs(cols[i] - c) >= SNIPPET_SIZE for r, c in rc):
                g.append(i)
                rc.append((rows[i], cols[i]))
                break
        else:
            groups.append([i])
            members_rc.append([(rows[i], cols[i])])
    return [np.array(g) for g in groups]


def others_on_snippets_t(pixel_size_m, rows, cols, state, members, angles, noise_t=None):
    """(len(members), 32, 32): B_NV of all cells but the snippet's own on each member's snippet grid.

    With ``noise_t``, cells too far to matter are left out: a cell of moment m counts for a snippet if its
    distance to the snippet's nearest corner is below (mu0/4pi m / (OTHERS_NOISE_FRACTION noise))^(1/3), where
    its field has fallen below that fraction of the noise."""
    u = physics.nv_axis(*angles)
    axis = (np.arange(SNIPPET_SIZE) - _REFERENCE) * pixel_size_m
    col_px, row_px = cols + state["x_px"], rows + state["y_px"]
    moment = physics.iron_mass_to_moment_am2(state["iron_mass_kg"])
    reach_px = np.full(len(rows), np.inf) if noise_t is None else \
        np.cbrt(physics.MU0_OVER_4PI * moment / (OTHERS_NOISE_FRACTION * np.asarray(noise_t))) / pixel_size_m
    positions, moments, offsets = [], [], [0]
    for i in members:
        near = np.hypot(col_px - cols[i], row_px - rows[i]) - _SNIPPET_HALF_DIAGONAL_PX < reach_px
        near[i] = False
        j = np.flatnonzero(near)
        positions.append(np.stack([(col_px[j] - cols[i]) * pixel_size_m, (row_px[j] - rows[i]) * pixel_size_m,
                                   state["z_m"][j]], axis=1))
        moments.append(moment[j, None] * u[None, :])
        offsets.append(offsets[-1] + len(j))
    return physics.projected_field_snippets_t(axis, axis, np.concatenate(positions), np.concatenate(moments),
                                              np.array(offsets), u)


def _sweep(whole, valid, pixel_size_m, rows, cols, state, anchor, noise, angles, groups):
    """One Gauss-Seidel sweep by groups: each group's cells refitted in their snippets minus the current
    model of every other cell; later groups see the earlier groups' updates."""
    for g in groups:
        snippets = whole[g] - others_on_snippets_t(pixel_size_m, rows, cols, state, g, angles, noise[g[0]])
        fits = _refine(snippets, valid[g], {k: v[g] for k, v in state.items()}, {k: v[g] for k, v in anchor.items()},
                       noise[g], pixel_size_m, angles)
        for key in state:
            state[key][g] = getattr(fits, key)


def _refine(snippets, valid, start, anchor, noise, pixel_size_m, angles):
    return refine_snippets(snippets, start, pixel_size_m, noise, valid=valid, max_neighbours=0,
                           max_shift_px=MAX_TOTAL_SHIFT_PX, shift_origin_px=(anchor["x_px"], anchor["y_px"]),
                           z_bounds_m=DEBLEND_Z_BOUNDS_M, nv_polar_deg=angles[0], nv_azimuth_deg=angles[1])


def _significance(state, valid, pixel_size_m, noise_t, angles):
    if len(valid) == 0:
        return np.zeros(0)
    own = own_snippet_field_t(pixel_size_m, state["x_px"], state["y_px"], state["z_m"], state["iron_mass_kg"], *angles)
    return np.sqrt(np.sum(np.where(valid, own, 0.0) ** 2, axis=(1, 2))) / np.asarray(noise_t, dtype=np.float64)


def _wandered(state, anchor):
    """Cells whose fit ran to the limit of MAX_TOTAL_SHIFT_PX from where they were detected."""
    limit = MAX_TOTAL_SHIFT_PX - 0.05
    return (np.abs(state["x_px"] - anchor["x_px"]) > limit) | (np.abs(state["y_px"] - anchor["y_px"]) > limit)


def _verified(row_px, col_px, z_px, significance, threshold, wandered):
    """Which candidates are cells: significant; not run off to the shift limit (a candidate on nothing drifts
    towards whatever field is near); not merged into a stronger cell (closer than MIN_SEPARATION_PX); not in
    its shadow (closer than SHADOW_RADIUS_PX and weaker than SHADOW_FRACTION of it: the point-dipole residual of
    a strong cell with random clusters, or a split of its field between two candidates); not deeper than its
    lateral distance to a stronger cell (two dipoles that close are not told apart: a deep 'cell' beside a
    real one soaks up the real one's misfit)."""
    keep = (significance >= threshold) & ~wandered
    for i in np.argsort(-significance):
        if not keep[i]:
            continue
        d2 = (row_px - row_px[i]) ** 2 + (col_px - col_px[i]) ** 2
        weaker = significance <= significance[i]
        weaker[i] = False
        keep &= ~(weaker & (d2 < MIN_SEPARATION_PX**2))
        keep &= ~(weaker & (d2 < SHADOW_RADIUS_PX**2) & (significance < SHADOW_FRACTION * significance[i]))
        keep &= ~(weaker & (z_px**2 > DEPTH_TO_DISTANCE**2 * d2))
    return keep


def detect_and_fit(b_nv_map_t, pixel_size_m, noise_t, *, detection_snr, max_passes=DEFAULT_PASSES,
                   nv_polar_deg=physics.NV_POLAR_ANGLE_DEG, nv_azimuth_deg):
    """Find and fit every cell: matched-filter candidates (``detect_cells``), fitted and verified with
    ``fit_cells_in_map``; then the fitted cells are subtracted and the residual map searched again (a faint
    cell on the shoulder of a strong one has no peak of its own until the strong one is gone), up to
    ``max_passes`` times. A candidate of a later pass must exceed the threshold times sqrt(reduced chi2) of
    the cells around it (``_misfit_map``). Returns ``MapFits`` (None if nothing was found) and the
    detections that started them."""
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    angles = {"nv_polar_deg": nv_polar_deg, "nv_azimuth_deg": nv_azimuth_deg}
    rows, cols = np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    start = {k: np.zeros(0) for k in ("x_px", "y_px", "z_m", "iron_mass_kg")}
    residual = m - np.median(m)
    fits, detections = None, []
    for _ in range(max_passes):
        new = detect_cells(residual, pixel_size_m, noise_t, detection_snr=detection_snr, **angles)
        if fits is not None:
            misfit = _misfit_map(m.shape, fits)
            new = [d for d in new if not _in_shadow(d, fits) and d.snr >= detection_snr * misfit[d.row, d.col]]
        if not new:
            break
        detections += new
        rows = np.concatenate([rows, [d.row for d in new]]).astype(int)
        cols = np.concatenate([cols, [d.col for d in new]]).astype(int)
        start = {"x_px": np.concatenate([start["x_px"], [d.col_px - d.col for d in new]]),
                 "y_px": np.concatenate([start["y_px"], [d.row_px - d.row for d in new]]),
                 "z_m": np.concatenate([start["z_m"], [d.template_z_m for d in new]]),
                 "iron_mass_kg": np.concatenate([start["iron_mass_kg"], [d.iron_mass_kg for d in new]])}
        fits = fit_cells_in_map(m, pixel_size_m, rows, cols, start, noise_t, verify_snr=detection_snr, **angles)
        rows, cols = fits.row, fits.col
        start = {"x_px": fits.col_px - cols, "y_px": fits.row_px - rows, "z_m": fits.z_m,
                 "iron_mass_kg": fits.iron_mass_kg}
        residual = m - np.median(m) - dipoles_map_t(m.shape, pixel_size_m, fits.row_px, fits.col_px, fits.z_m,
                                                    fits.iron_mass_kg, nv_polar_deg, nv_azimuth_deg)
    return fits, detections


def _misfit_map(shape, fits):
    """sqrt(max(1, reduced chi2)) of the worst-fitted cell whose snippet covers each pixel: where a cell's point
    dipole leaves a residual above the noise (random clusters close to the sensor), a new candidate in the
    residual map must stand out of that residual, not only of the noise."""
    out = np.ones(shape)
    if fits.fits is None:  # every candidate of the earlier passes was dropped: no cell, no residual to fear
        return out
    half = SNIPPET_SIZE // 2
    for r, c, red in zip(fits.row, fits.col, fits.fits.reduced_chi2, strict=True):
        window = out[max(r - half, 0) : r + half, max(c - half, 0) : c + half]
        np.maximum(window, np.sqrt(max(1.0, red)), out=window)
    return out


def _in_shadow(detection, fits):
    """A candidate found in the residual map next to a fitted cell: closer than MIN_SEPARATION_PX, or within
    SHADOW_RADIUS_PX and weaker than SHADOW_FRACTION of that cell (what a strong cell with random clusters
    leaves behind when its point dipole is subtracted)."""
    d2 = (fits.row_px - detection.row_px) ** 2 + (fits.col_px - detection.col_px) ** 2
    shadow = (d2 < SHADOW_RADIUS_PX**2) & (detection.snr < SHADOW_FRACTION * fits.significance)
    return bool(np.any(d2 < MIN_SEPARATION_PX**2) or np.any(shadow))
