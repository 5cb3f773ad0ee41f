"""The usable verdict of an analysed cell: can its numbers be trusted? One bool and a one-line reason.

The flags (``flags.py``) describe what happened; several of them (RESIDUAL_INCONSISTENT, a noise below the
CNN's training range) are normal for a good strong cell at low noise, where the point dipole is not the whole
story. The verdict keeps only what makes the numbers untrustworthy, first reason first:

1. the map is not a field map for cells: a per-pixel noise above ``MAX_MAP_NOISE_T`` (a map fitted from too
   few steps, a spin-contrast image given as a field map);
2. the map is short: fitted from fewer frequency steps than the sweep plans (a live map during the sweep);
3. the refinement did not converge, or ended on a bound of height, mass or shift (a fit collapsed onto one
   cluster, or run away to 200 um: with the physics fit alone nothing else would catch it);
4. the cell does not stand out of the noise: its own fitted field is below ``min_snr`` noise sigmas;
5. height or iron mass outside the CNN's training ranges by more than their errors (scaled to the CNN's
   pixel when the map's pixel differs; only with the CNN: the physics fit alone has no range);
6. the CNN and the fit disagree beyond their errors (CNN_REFINEMENT_DISAGREE) and the cell is not strong:
   at a peak SNR above ``STRONG_SNR`` the fit's point dipole is expected to miss the clusters, the CNN's
   answer is kept and stays usable.
"""

import numpy as np

MAX_MAP_NOISE_T = 2e-6
"""A per-pixel noise of 2 uT is ~7x the noisiest map the CNN was trained on (0.3 uT) and ~10x the real
instrument's sensitivity: a 12 um cell at 15 um would need > 30 pg to stand 8 sigma out of it."""
STRONG_SNR = 50.0
"""Above this significance a fit/CNN disagreement is the point dipole's model mismatch, not a bad cell."""


def usable_verdict(*, converged, snr, min_snr, noise_t, z_m, z_err_m, iron_mass_kg, iron_mass_err_kg,
                   ranges=None, scale=1.0, disagree=None, steps_done=None, steps_planned=None, at_bound=None):
    """(usable (N,) bool, reasons list of str) for N cells; ``ranges``: the CNN card's training ranges (None
    without a CNN), ``scale``: map pixel / CNN pixel (lengths divided by it, masses by its cube, before the
    range check)."""
    n = len(np.atleast_1d(snr))
    reasons = [""] * n
    noise = float(noise_t)
    map_reason = ""
    if not np.isfinite(noise) or noise > MAX_MAP_NOISE_T:
        map_reason = (f"map noise {noise * 1e6:.3g} uT per pixel is above {MAX_MAP_NOISE_T * 1e6:g} uT: not a field "
                      "map good enough for cells (too few steps, or not a B_NV map in tesla)")
    elif steps_done is not None and steps_planned is not None and steps_done < steps_planned:
        map_reason = (f"map fitted from {int(steps_done)} of {int(steps_planned)} planned steps (live map): "
                      "re-analyse when the sweep is complete")
    z, dz = np.asarray(z_m, dtype=float), np.asarray(z_err_m, dtype=float)
    m, dm = np.asarray(iron_mass_kg, dtype=float), np.asarray(iron_mass_err_kg, dtype=float)
    snr = np.asarray(snr, dtype=float)
    for i in range(n):
        if map_reason:
            reasons[i] = map_reason
        elif not bool(np.asarray(converged)[i]):
            reasons[i] = "the refinement did not converge"
        elif at_bound is not None and bool(np.asarray(at_bound)[i]):
            reasons[i] = (f"the refinement ended on a bound (z {z[i] * 1e6:.3g} um, {m[i] * 1e15:.3g} pg, or the "
                          "shift limit): a collapsed or runaway fit")
        elif not snr[i] >= min_snr:
            reasons[i] = f"the cell stands only {snr[i]:.1f} sigma out of the noise (< {min_snr:g})"
        elif ranges is not None and (why := outside_training_reason(ranges, z[i], dz[i], m[i], dm[i], scale)):
            reasons[i] = why
        elif disagree is not None and bool(np.asarray(disagree)[i]) and snr[i] < STRONG_SNR:
            reasons[i] = "the CNN and the physics fit disagree beyond their errors"
    usable = np.array([not r for r in reasons], dtype=bool)
    return usable, [r or "ok" for r in reasons]


def outside_training_reason(ranges, z, dz, m, dm, scale=1.0):
    """'' if height z and iron mass m (map units; one-sigma dz, dm) lie inside the CNN card's training
    ``ranges`` within their errors once scaled to the CNN's pixel (lengths / scale, masses / scale^3);
    otherwise why not, in one line."""
    z, dz, m, dm = z / scale, dz / scale, m / scale**3, dm / scale**3
    note = "" if abs(scale - 1.0) < 1e-3 else f" (scaled to the CNN's pixel, x{1 / scale:.3g} in length)"
    if "z_m" in ranges:
        lo, hi = ranges["z_m"]
        if z + dz < lo or z - dz > hi:
            return f"height {z * 1e6:.3g} um{note} outside the CNN's training range {lo * 1e6:g}-{hi * 1e6:g} um"
    if "iron_mass_kg" in ranges:
        lo, hi = ranges["iron_mass_kg"]
        if m + dm < lo or m - dm > hi:
            return (f"iron mass {m * 1e15:.3g} pg{note} outside the CNN's training range "
                    f"{lo * 1e15:g}-{hi * 1e15:g} pg")
    return ""
