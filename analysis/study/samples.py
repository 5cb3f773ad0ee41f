"""The cells of one session, as the study needs them: read from the session's cell table.

Only cells whose refinement succeeded (``flag`` == 0, where the table has a flag column) and whose distance
and iron mass are finite count. For every cell the study also computes the *raw* peak field, the peak B_NV
its fitted iron mass gives at its fitted distance, B_peak = physics.peak_b_nv_t(M(m), z): what one would
compare without normalising, and what differences in distance between samples distort.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from analysis import physics
from analysis.session import read_session

CONCENTRATION_KEY = "spion_concentration_ug_per_ml"
QUANTITIES = ("diameter_m", "z_m", "iron_mass_g", "normalised_field_t", "raw_peak_t")
"""The per-cell quantities the study compares (SI units as the names say)."""


class StudyInputError(ValueError):
    """A session cannot take part in the study as it is (no concentration, no cell table, ...)."""


@dataclass
class SessionCells:
    """Good cells of one session: quantity name -> 1-D array (one entry per cell, SI units)."""

    path: str
    name: str
    concentration_ug_per_ml: float
    pixel_size_m: float
    values: dict
    n_cells_in_table: int
    flagged: int = 0
    field_map_t: np.ndarray | None = field(default=None, repr=False)
    """Background-subtracted B_NV map (for figures), if the session has one."""
    cell_rows_px: np.ndarray | None = None
    cell_cols_px: np.ndarray | None = None

    @property
    def n_cells(self):
        return int(self.values["z_m"].size)


def concentration_of(session):
    """The sample's SPION concentration (ug/ml) from the session metadata."""
    value = (session.sample_metadata or {}).get(CONCENTRATION_KEY)
    try:
        concentration = float(value)
    except (TypeError, ValueError):
        concentration = float("nan")
    if not np.isfinite(concentration) or concentration < 0:
        raise StudyInputError(
            f"{session.path}: sample metadata {CONCENTRATION_KEY} = {value!r}; the study groups sessions by it. "
            f"Set it with analysis.session.update_sample_metadata(path, {CONCENTRATION_KEY}=...).")
    return concentration


def raw_peak_field_t(iron_mass_g, z_m):
    """Peak B_NV (T) of each cell at its own distance (point dipole): physics.peak_b_nv_t(M(m), z)."""
    mass_kg = np.asarray(iron_mass_g, dtype=np.float64) * 1e-3
    z = np.asarray(z_m, dtype=np.float64)
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(mass_kg) & np.isfinite(z) & (z > 0) & (mass_kg >= 0)
    if np.any(ok):
        out[ok] = physics.peak_b_nv_t(physics.iron_mass_to_moment_am2(mass_kg[ok]), z[ok])
    return out


def session_cells(session):
    """``SessionCells`` of a ``Session`` (``analysis.session.read_session``) that has a cell table."""
    from analysis.pipeline import session_pixel_size_m

    concentration = concentration_of(session)
    table = session.cells
    if table is None:
        raise StudyInputError(f"{session.path} has no cell table; detect and measure its cells first "
                              "(`nvscope study` does it for sessions that lack one).")
    cols = table.columns
    if not cols:  # an analysed session in which no cell was found
        cols = {"z_m": np.empty(0), "iron_mass_g": np.empty(0)}
    missing = [name for name in ("z_m", "iron_mass_g") if name not in cols]
    if missing:
        raise StudyInputError(f"{session.path}: the cell table lacks column(s) {', '.join(missing)}; "
                              "re-run the cell analysis.")
    n = len(table)
    z = np.asarray(cols["z_m"], dtype=np.float64)
    mass_g = np.asarray(cols["iron_mass_g"], dtype=np.float64)
    if "normalised_field_t" in cols:
        normalised = np.asarray(cols["normalised_field_t"], dtype=np.float64)
    else:
        normalised = mass_g * 1e-3 * physics.normalised_field_per_kg()
    diameter = np.asarray(cols.get("diameter_m", np.full(n, np.nan)), dtype=np.float64)
    good = np.isfinite(z) & np.isfinite(mass_g) & np.isfinite(normalised)
    flagged = 0
    if "flag" in cols:
        ok_flag = np.asarray(cols["flag"]).astype(np.int64) == 0
        flagged = int(np.count_nonzero(good & ~ok_flag))
        good &= ok_flag
    values = {"diameter_m": diameter[good], "z_m": z[good], "iron_mass_g": mass_g[good],
              "normalised_field_t": normalised[good], "raw_peak_t": raw_peak_field_t(mass_g[good], z[good])}
    field_map = None
    if session.field_map is not None and "b_nv_residual_t" in session.field_map:
        field_map = np.asarray(session.field_map["b_nv_residual_t"])
    rows = np.asarray(cols["row_px"], dtype=np.float64)[good] if "row_px" in cols else None
    cols_px = np.asarray(cols["col_px"], dtype=np.float64)[good] if "col_px" in cols else None
    name = (session.sample_metadata or {}).get("name") or os.path.splitext(os.path.basename(session.path))[0]
    return SessionCells(str(session.path), str(name), concentration, session_pixel_size_m(session), values, n,
                        flagged, field_map, rows, cols_px)


def load_study(paths):
    """``SessionCells`` of every session file in ``paths`` (each must have a concentration and a cell table)."""
    if not paths:
        raise StudyInputError("no session files given; pass the sessions of the study (e.g. study/*.h5).")
    return [session_cells(read_session(path)) for path in paths]
