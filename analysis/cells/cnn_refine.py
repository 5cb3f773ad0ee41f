"""The refinement of a batch of snippets with the CNN where it applies and the physics fit alone elsewhere.

``refine_with_cnn`` runs the CNN through the map's ``CnnFrame`` (scale and square symmetries), combines it with
the fit (the hybrid), and refines by physics alone the cells the CNN cannot take: all of them when there is no
CNN or no frame, and at another pixel size those whose height or mass, scaled to the CNN's pixel, lie outside
its training ranges (judged from a first point-dipole fit). ``merge_fits`` puts the two subsets back together.
"""

import dataclasses

import numpy as np

from .cnn_errors import cnn_sigmas
from .refine import SnippetFits, refine_snippets
from .usable import outside_training_reason

PRED_KEYS = ("x_px", "y_px", "z_m", "diameter_m", "iron_mass_kg", "background_t", "log10_iron_mass_kg")
SIGMA_KEYS = ("x_px", "y_px", "z_m", "ln_iron_mass", "diameter_m")
FIRST_FIT_REL_ERR = {"z_m": 0.2, "iron_mass_kg": 0.5}
"""Errors assumed for a first point-dipole fit when deciding whether the scaled cell is inside the CNN's range."""


def refine_with_cnn(snippets_t, physics_start, first_z_m, first_iron_mass_kg, cnn, frame, pixel_size_m, noise_t,
                    *, valid, nv_polar_deg, nv_azimuth_deg, **refine_kw):
    """Refine N snippets; ``cnn`` None or a ``CellCNN`` with its ``frame`` (``cnn_frame``). physics_start:
    dict of (N,) starts for the cells refined by physics alone; first_z_m, first_iron_mass_kg: a first fit's
    values (the range test at another pixel size). Returns (SnippetFits, pred, sig, use_cnn (N,) bool, notes):
    pred and sig the CNN's answers and one-sigma errors in the map's frame and units (NaN for physics-only
    cells; empty dicts when no cell used the CNN), notes '' or why a cell went without the CNN."""
    n = len(snippets_t)
    angles = {"nv_polar_deg": nv_polar_deg, "nv_azimuth_deg": nv_azimuth_deg}
    notes = [""] * n
    use_cnn = np.full(n, cnn is not None)
    if cnn is not None and abs(frame.scale - 1.0) > 1e-3:
        # at the trained pixel the CNN always runs (a first fit around a click can collapse onto one cluster)
        ranges = cnn.card.get("training_ranges", {})
        for i in range(n):
            z, m = float(first_z_m[i]), float(first_iron_mass_kg[i])
            why = outside_training_reason(ranges, z, FIRST_FIT_REL_ERR["z_m"] * z, m,
                                          FIRST_FIT_REL_ERR["iron_mass_kg"] * m, frame.scale)
            use_cnn[i], notes[i] = not why, ("no CNN: " + why if why else "")
    pred = {k: np.full(n, np.nan) for k in PRED_KEYS}
    sig = {k: np.full(n, np.nan) for k in SIGMA_KEYS}
    parts = []

    def noise(ix):  # scalar, or one per snippet
        return noise_t if np.ndim(noise_t) == 0 else np.asarray(noise_t)[ix]

    idx = np.flatnonzero(use_cnn)
    if len(idx):
        raw = cnn.predict(frame.to_trained(snippets_t[idx]))
        sub_sig = frame.sigmas_to_map(cnn_sigmas(cnn.card, raw, noise(idx), nv_polar_deg))
        sub_pred = frame.to_map(raw)
        for k in pred:
            pred[k][idx] = sub_pred[k]
        for k in sig:
            sig[k][idx] = sub_sig[k]
        parts.append((idx, refine_snippets(snippets_t[idx], sub_pred, pixel_size_m, noise(idx), valid=valid[idx],
                                           start_sigma=sub_sig, start_diameter_m=sub_pred["diameter_m"],
                                           **refine_kw, **angles)))
    rest = np.flatnonzero(~use_cnn)
    if len(rest):
        start = {k: np.asarray(v)[rest] for k, v in physics_start.items()}
        parts.append((rest, refine_snippets(snippets_t[rest], start, pixel_size_m, noise(rest), valid=valid[rest],
                                            **refine_kw, **angles)))
    if not use_cnn.any():
        pred, sig = {}, {}
    return merge_fits(parts, n), pred, sig, use_cnn, notes


def _place(values, parts_values, n):
    first = parts_values[0]
    if isinstance(first, np.ndarray):
        out = np.zeros((n, *first.shape[1:]), dtype=first.dtype)
        for idx, v in zip(values, parts_values, strict=True):
            out[idx] = v
        return out
    out = [None] * n
    for idx, v in zip(values, parts_values, strict=True):
        for j, i in enumerate(idx):
            out[i] = v[j]
    return out


def merge_fits(parts, n):
    """parts: list of (indices (k,), SnippetFits of those k snippets); returns the SnippetFits of all n."""
    if len(parts) == 1 and len(parts[0][0]) == n and np.array_equal(parts[0][0], np.arange(n)):
        return parts[0][1]
    indices = [idx for idx, _ in parts]
    merged = {}
    for f in dataclasses.fields(SnippetFits):
        items = [getattr(fits, f.name) for _, fits in parts]
        if f.name == "physics_only":
            keys = set.intersection(*(set(d) for d in items))
            merged[f.name] = {k: _place(indices, [np.asarray(d[k]) for d in items], n) for k in keys}
        elif f.name == "disagree":
            merged[f.name] = _place(indices, [np.zeros(len(i), bool) if d is None else np.asarray(d, dtype=bool)
                                              for i, d in zip(indices, items, strict=True)], n)
        else:
            merged[f.name] = _place(indices, [np.asarray(v) if isinstance(v, np.ndarray) else v for v in items], n)
    return SnippetFits(**merged)
