"""One-sigma errors of the CNN's answers, read from the held-out accuracy in its model card.

The card's ``held_out`` section gives median absolute errors binned by the cell's peak SNR (peak |B_NV| over
the noise sigma: mass, z, position) and diameter errors binned by z/d. For a Gaussian error, sigma = 1.4826 x
the median absolute error; for a 2-D position error the median radius is 1.1774 sigma per axis; the mass
error is taken on ln(mass): sigma_ln = 1.4826 ln(1 + median |relative error|).
"""

import numpy as np

from analysis import physics

MAD_TO_SIGMA = 1.4826
RADIAL_MEDIAN_TO_SIGMA = 1.0 / np.sqrt(2.0 * np.log(2.0))  # median of a Rayleigh distribution = 1.1774 sigma


def _pick(rows, values, key):
    """rows: the card's bins (low, high, key); each value gets its bin's entry (the nearest bin outside)."""
    lows = np.array([r["low"] for r in rows])
    entries = np.array([r[key] for r in rows], dtype=np.float64)
    k = np.clip(np.searchsorted(lows, np.asarray(values, dtype=np.float64), side="right") - 1, 0, len(rows) - 1)
    return entries[k]


def predicted_peak_snr(pred, noise_t, polar_deg=physics.NV_POLAR_ANGLE_DEG):
    """Peak SNR of each predicted cell: peak_b_nv_t(moment of the predicted mass, predicted z) / noise."""
    z = np.maximum(np.asarray(pred["z_m"], dtype=np.float64), 1e-7)
    peak = physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(np.maximum(pred["iron_mass_kg"], 0.0)), z, polar_deg)
    return peak / np.asarray(noise_t, dtype=np.float64)


def cnn_sigmas(card, pred, noise_t, polar_deg=physics.NV_POLAR_ANGLE_DEG):
    """One-sigma errors of CNN predictions ``pred`` (dict of (N,) arrays as ``CellCNN.predict`` gives) from
    the card's held-out accuracy: dict x_px, y_px (px), z_m (m), ln_iron_mass (relative), diameter_m (m)."""
    held = card.get("held_out", {})
    if "by_peak_snr" not in held or "diameter_by_z_over_d" not in held:
        raise ValueError(f"model card of {card.get('name')!r} has no held-out accuracy (held_out.by_peak_snr, "
                         "held_out.diameter_by_z_over_d); re-export the model with `python -m models.export_onnx`.")
    snr = predicted_peak_snr(pred, noise_t, polar_deg)
    by_snr = held["by_peak_snr"]
    position = _pick(by_snr, snr, "position_px") * RADIAL_MEDIAN_TO_SIGMA
    z_over_d = np.asarray(pred["z_m"]) / np.maximum(np.asarray(pred["diameter_m"]), 1e-9)
    return {
        "x_px": position,
        "y_px": position.copy(),
        "z_m": MAD_TO_SIGMA * _pick(by_snr, snr, "z_abs_um") * 1e-6,
        "ln_iron_mass": MAD_TO_SIGMA * np.log1p(_pick(by_snr, snr, "mass_abs_rel")),
        "diameter_m": MAD_TO_SIGMA * _pick(held["diameter_by_z_over_d"], z_over_d, "diameter_abs_um") * 1e-6,
    }
