"""Accuracy of the cell analysis at other pixel sizes and NV orientations than the CNN was trained for.

    python -m models.accuracy_report --calibration [--n 400 --seed 4242 --noise-nt 50]

For each case (pixel size, image-frame NV azimuth) a held-out set is simulated with the CNN's own generator
(``models.training_data``) at that pixel and axis, with the *same physical* cells as the native set (z 5-40 um,
diameter 6-25 um, 0.05-20 pg, neighbours at the same distances in micrometres), and analysed as
``analyze_field_map`` does: a first point-dipole fit from a naive start, then ``refine_with_cnn`` through the
map's ``CnnFrame`` (cells whose scaled height or mass lie outside the CNN's training ranges: physics alone).
Printed per case: the fraction of cells the CNN took, and the median |relative mass error|, |z error| (um),
|diameter error| (um, cells with the CNN) and position error (um) over all cells and over the cells with the
CNN. The native case (1.3 um, 45 deg) is the reference; the last row is a 0.65 um map as the analysis runs it
(binned 2 x 2, ``BINNED``); the 0.65 um row above it is the unbinned snippets, which the analysis never uses.
"""

import dataclasses

import numpy as np

from analysis.cells import CellCNN, naive_start, refine_snippets
from analysis.cells.cnn_frame import cnn_frame
from analysis.cells.cnn_refine import refine_with_cnn
from models.training_data import DEFAULT_RECIPE, generate_with_geometry

PIXEL_SIZES_UM = (0.65, 1.3, 2.6, 3.9)
AZIMUTHS_DEG = (45.0, 135.0, 225.0, 315.0)
CASES = [(p, 45.0) for p in PIXEL_SIZES_UM] + [(1.3, a) for a in AZIMUTHS_DEG[1:]] + [(2.6, 135.0)]
BINNED = "0.65 binned 2 x 2"
"""``analyze_field_map`` bins a 0.65 um map 2 x 2 (``analysis.cells.resample``): a 1.3 um map with half the
noise per pixel, pixel averaging aside - simulated as such (the generator renders 32 x 32 snippets only)."""


def _case(cnn, n, seed, noise_t, pixel_um, azimuth_deg):
    p = pixel_um * 1e-6
    ratio = DEFAULT_RECIPE.pixel_size_m / p  # same micrometres, other pixels
    recipe = dataclasses.replace(DEFAULT_RECIPE, pixel_size_m=p, nv_azimuth_deg=azimuth_deg,
                                 neighbour_distance_px=tuple(d * ratio for d in DEFAULT_RECIPE.neighbour_distance_px))
    _, snippets, truth = generate_with_geometry(n, seed, recipe, noise_sigma_t=noise_t)
    angles = {"nv_polar_deg": recipe.nv_polar_deg, "nv_azimuth_deg": azimuth_deg}
    valid = np.ones(snippets.shape, dtype=bool)
    first = refine_snippets(snippets, naive_start(snippets, p, nv_polar_deg=recipe.nv_polar_deg), p, noise_t,
                            max_shift_px=12.0, max_neighbours=3, background_order=2, **angles)
    start = {k: getattr(first, k) for k in ("x_px", "y_px", "z_m", "iron_mass_kg", "background_t")}
    frame = cnn_frame(cnn.card, p, recipe.nv_polar_deg, azimuth_deg)
    model = cnn if not isinstance(frame, str) else None
    fits, pred, _, use_cnn, _ = refine_with_cnn(snippets, start, first.z_m, first.iron_mass_kg, model,
                                                frame if model else None, p, noise_t, valid=valid,
                                                max_neighbours=3, background_order=2, **angles)
    err = {"mass": np.abs(fits.iron_mass_kg / truth["iron_mass_kg"] - 1.0),
           "z_um": np.abs(fits.z_m - truth["z_m"]) * 1e6,
           "pos_um": np.hypot(fits.x_px - truth["x_px"], fits.y_px - truth["y_px"]) * pixel_um,
           "d_um": np.abs(pred.get("diameter_m", np.full(n, np.nan)) - truth["diameter_m"]) * 1e6}
    return err, use_cnn


def _med(values, sel):
    v = values[sel & np.isfinite(values)]
    return float(np.median(v)) if v.size else float("nan")


def calibration_report(n=400, seed=4242, noise_t=50e-9, model_path=None, cases=CASES):
    """Markdown table of the errors per (pixel size, azimuth) case; see the module docstring."""
    cnn = CellCNN(model_path)
    lines = [f"{n} snippets per case, seed {seed}, noise {noise_t * 1e9:g} nT per pixel, model "
             f"{cnn.card['name']} {cnn.card['version']} (trained at {cnn.pixel_size_m * 1e6:g} um, azimuth "
             f"{cnn.card.get('nv_axis', {}).get('azimuth_deg', 45):g} deg).", "",
             "| pixel (um) | azimuth (deg) | with CNN | mass, all | z (um), all | position (um), all | "
             "mass, CNN cells | z (um), CNN cells | diameter (um), CNN cells |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for pixel_um, azimuth in [*cases, (BINNED, 45.0)]:
        if pixel_um == BINNED:
            err, use = _case(cnn, n, seed, noise_t / 2.0, 1.3, azimuth)
        else:
            err, use = _case(cnn, n, seed, noise_t, pixel_um, azimuth)
        everything = np.ones(n, dtype=bool)
        lines.append(f"| {pixel_um} | {azimuth:g} | {100 * use.mean():.0f} % | "
                     f"{100 * _med(err['mass'], everything):.1f} % | {_med(err['z_um'], everything):.2f} | "
                     f"{_med(err['pos_um'], everything):.2f} | {100 * _med(err['mass'], use):.1f} % | "
                     f"{_med(err['z_um'], use):.2f} | {_med(err['d_um'], use):.2f} |")
    return "\n".join(lines)
