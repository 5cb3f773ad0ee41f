"""Helpers for the study tests: tiny simulated sessions and cell tables written into them."""

import numpy as np

from analysis import physics
from analysis.session import read_session, write_cells
from app.core.study_simulation import default_samples, simulate_study

CELL_COLUMNS = ("row_px", "col_px", "z_m", "diameter_m", "iron_mass_g", "background_t", "normalised_field_t")


def tiny_study(folder, seed=0, cells=(2, 2, 2, 2, 2), size=(64, 64), pairs=2, points=12):
    """Five small sessions (one per paper concentration) made by simulate_study; returns their paths."""
    samples = default_samples(seed, cells=cells)
    return simulate_study(str(folder), samples, size=size, pairs=pairs, n_points=points)


def cell_table(iron_mass_kg, z_m, diameter_m, rows_px, cols_px, flag=None, model_sha256=""):
    """Columns of a cell table as the cell analysis writes it (errors set to 10 % for the test tables)."""
    mass_g = np.asarray(iron_mass_kg, dtype=float) * 1e3
    n = mass_g.size
    normalised = np.asarray(iron_mass_kg) * physics.normalised_field_per_kg()
    columns = {"row_px": np.asarray(rows_px, float), "col_px": np.asarray(cols_px, float),
               "z_m": np.asarray(z_m, float), "diameter_m": np.asarray(diameter_m, float), "iron_mass_g": mass_g,
               "background_t": np.zeros(n), "normalised_field_t": normalised}
    for name in CELL_COLUMNS:
        columns[f"{name}_err"] = 0.1 * np.abs(columns[name])
    columns["reduced_chi2"] = np.ones(n)
    columns["flag"] = np.zeros(n, dtype=np.int64) if flag is None else np.asarray(flag, dtype=np.int64)
    columns["model_sha256"] = np.array([model_sha256] * n, dtype=object)
    columns["label"] = np.array([""] * n, dtype=object)
    return columns


def write_synthetic_cells(path, n_cells, mean_z_m, seed, b_max_t=2.91e-6, half_max=116.39, log_sd=0.35,
                          z_spread_m=3e-6):
    """A cell table of n_cells drawn from the paper's saturation curve (mean normalised field on the curve)."""
    from instruments.virtual_microscope import saturation_field_t

    session = read_session(path)
    c = session.sample_metadata["spion_concentration_ug_per_ml"]
    rng = np.random.default_rng(seed)
    mean_mass = saturation_field_t(c, b_max_t, half_max) / physics.normalised_field_per_kg()
    mass = mean_mass * np.exp(rng.normal(-0.5 * log_sd**2, log_sd, n_cells))
    z = rng.uniform(mean_z_m - z_spread_m, mean_z_m + z_spread_m, n_cells)
    d = rng.normal(12e-6, 1.5e-6, n_cells)
    rows, cols = session.frame_shape
    columns = cell_table(mass, z, d, rng.uniform(0, rows - 1, n_cells), rng.uniform(0, cols - 1, n_cells))
    write_cells(path, columns)
    return columns


def write_truth_cells(path):
    """The session's true cells as its cell table (what a perfect cell analysis would find)."""
    session = read_session(path)
    pixel = session.truth["sample"]["pixel_size_m"]
    cells = session.truth["cells"]
    columns = cell_table([c["iron_mass_kg"] for c in cells], [c["z_m"] for c in cells],
                         [c["diameter_m"] for c in cells], [c["y_m"] / pixel for c in cells],
                         [c["x_m"] / pixel for c in cells])
    write_cells(path, columns)
    return columns
