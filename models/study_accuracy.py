"""How well the labelling study recovers the saturation curve from auto-detected cells, on simulated field maps.

    python -m models.accuracy_report --study [--n 72 --seed 5 --noise-nt 20]

Independent of the CNN's generator and of ``nvscope simulate-study``: for each concentration (20-500 ug/ml) n
cells of random-cluster labels, iron masses log-normal (spread 0.35) about the paper's curve
(``labelling.iron_mass_for_concentration_kg``), heights uniform within +-3 um of the sample's mean distance,
placed at random at least 35 um apart on 256 x 256 maps of 1.3 um with white noise and a smooth residual
background. Each map is analysed as a session is (auto-detection, CNN, usable verdict, the study's cell
selection: ``analysis.study.samples.session_cells``); the study (``analyse_study``) is computed from the
measured cells and, separately, from the same cells' true masses and heights. Printed: each concentration's
mean normalised field both ways, B_max and the half-maximum concentration both ways with the bootstrap-over-cells
noise of the measured ones. The ODMR fit is left out: the maps are the B_NV maps the fit would give.
"""

import dataclasses
from types import SimpleNamespace

import numpy as np

from analysis import physics
from analysis.calibration import Calibration
from analysis.session.cells import CellTable, cell_columns

CONCENTRATIONS = (20.0, 40.0, 100.0, 200.0, 500.0)
MEAN_Z_UM = (12.0, 12.5, 17.0, 16.0, 9.0)
Z_SPREAD_UM = 3.0
MASS_LOG_SD = 0.35
PIXEL_M = 1.3e-6
SIZE = 256
CELLS_PER_FIELD = 30


def _fields(concentration, mean_z_um, n_cells, seed, noise_t):
    """Yield (map, cells) until n_cells cells are placed."""
    from instruments.virtual_microscope.labelling import iron_mass_for_concentration_kg
    from instruments.virtual_microscope.sample import random_cells

    median = iron_mass_for_concentration_kg(concentration) * np.exp(-0.5 * MASS_LOG_SD**2)
    left, k = n_cells, 0
    while left > 0:
        rng = np.random.default_rng([seed, int(concentration), k])
        cells = random_cells(min(left, CELLS_PER_FIELD), seed * 1000 + int(concentration) * 10 + k, n_rows=SIZE,
                             n_cols=SIZE, pixel_size_m=PIXEL_M, min_separation_m=35e-6, margin_m=22e-6,
                             z_range_m=((mean_z_um - Z_SPREAD_UM) * 1e-6, (mean_z_um + Z_SPREAD_UM) * 1e-6))
        cells = [dataclasses.replace(c, iron_mass_kg=float(median * np.exp(MASS_LOG_SD * rng.standard_normal())))
                 for c in cells]
        x, y = physics.pixel_coordinates_m(SIZE, SIZE, PIXEL_M)
        m = physics.cells_b_nv_map_t(cells, x, y, physics.nv_axis(physics.NV_POLAR_ANGLE_DEG, 45.0))
        yy, xx = np.meshgrid(np.linspace(-1, 1, SIZE), np.linspace(-1, 1, SIZE), indexing="ij")
        coeff = rng.uniform(-1, 1, 3) * 3.0 * noise_t
        m += coeff[0] * xx + coeff[1] * yy + coeff[2] * xx * yy + noise_t * rng.standard_normal(m.shape)
        left -= len(cells)
        k += 1
        yield m, cells


def stand_in_session(concentration, records, name, pixel_m=PIXEL_M):
    """A session-like object holding ``records`` as its cell table, for ``session_cells``."""
    table = CellTable(columns=cell_columns(records) if records else {}, units={})
    return SimpleNamespace(path=name, sample_metadata={"spion_concentration_ug_per_ml": concentration, "name": name},
                           cells=table, field_map=None, truth=None,
                           calibration=Calibration(pixel_m, source="simulated"))


def run_study(n_cells=72, seed=5, noise_t=20e-9, model=None):
    """(measured StudyResult, true StudyResult, per-concentration counts)."""
    from analysis.cells import analyze_field_map
    from analysis.study.samples import session_cells
    from analysis.study.summary import analyse_study

    measured, true, counts = [], [], []
    for conc, z_um in zip(CONCENTRATIONS, MEAN_Z_UM, strict=True):
        records, truth = [], []
        for m, cells in _fields(conc, z_um, n_cells, seed, noise_t):
            records += [r.record() for r in analyze_field_map(m, PIXEL_M, model=model, nv_azimuth_deg=45.0)]
            truth += [{"row_px": c.y_m / PIXEL_M, "col_px": c.x_m / PIXEL_M, "z_m": c.z_m, "diameter_m": c.diameter_m,
                       "iron_mass_g": c.iron_mass_kg * 1e3,
                       "normalised_field_t": float(physics.normalised_field_t(c.iron_mass_kg))} for c in cells]
        measured.append(session_cells(stand_in_session(conc, records, f"measured {conc:g}")))
        true.append(session_cells(stand_in_session(conc, truth, f"true {conc:g}"), distance_window_m=None))
        counts.append((conc, len(truth), len(records), measured[-1].n_cells, len(measured[-1].not_usable)))
    return analyse_study(measured), analyse_study(true), counts


def study_report(n_cells=72, seed=5, noise_t=20e-9, model=None):
    got, want, counts = run_study(n_cells, seed, noise_t, model)
    head = (f"{n_cells} cells per concentration, seed {seed}, noise {noise_t * 1e9:g} nT per pixel, smooth residual "
            "background; measured = auto-detected usable cells; true = the same simulated cells' true masses.")
    return "\n".join([head, ""] + comparison_lines(got, want, counts))


def comparison_lines(got, want, counts):
    """Markdown tables: each concentration's mean normalised field measured (with its bootstrap sd) and true,
    then B_max and the half-maximum both ways. ``counts``: (concentration, true cells, detections, cells in the
    study, not usable) per concentration."""
    g, w = got.to_json_dict(), want.to_json_dict()
    lines = ["| concentration (ug/ml) | cells | detections | in the study | not usable | mean normalised field, "
             "measured (uT) | bootstrap sd (uT) | true (uT) | measured / true |", "| --- | --- | --- | --- | --- | --- "
             "| --- | --- | --- |"]
    boot = g.get("mean_normalised_field_bootstrap_sd_t") or [float("nan")] * len(counts)
    for (conc, n_true, n_det, n_used, n_bad), a, b, sd in zip(counts, got.means("normalised_field_t"),
                                                            want.means("normalised_field_t"), boot, strict=True):
        lines.append(f"| {conc:g} | {n_true} | {n_det} | {n_used} | {n_bad} | {a * 1e6:.3f} | {sd * 1e6:.3f} | "
                     f"{b * 1e6:.3f} | {a / b:.3f} |")
    lines += ["", "| | measured | bootstrap sd | true | measured / true |", "| --- | --- | --- | --- | --- |",
              f"| B_max (uT, {g['headline_model']}) | {g['b_max_t'] * 1e6:.3f} | {g['b_max_bootstrap_sd_t'] * 1e6:.3f} "
              f"| {w['b_max_t'] * 1e6:.3f} | {g['b_max_t'] / w['b_max_t']:.3f} |",
              f"| half-maximum (ug/ml) | {g['half_max_concentration_ug_per_ml']:.1f} | "
              f"{g['half_max_concentration_bootstrap_sd_ug_per_ml']:.1f} | {w['half_max_concentration_ug_per_ml']:.1f} "
              f"| {g['half_max_concentration_ug_per_ml'] / w['half_max_concentration_ug_per_ml']:.3f} |"]
    return lines
