"""The cells of one session, as the study needs them: read from the session's cell table.

A cell counts when its ``usable`` verdict (``analysis.cells.usable``) is True (the others are counted and listed
in ``SessionCells.not_usable`` with their reasons), its distance and iron mass are finite and its quality flag
(``analysis.cells.flags``) has none of the bits in ``EXCLUDED_FLAGS``: the refinement did not converge, ended on
a parameter bound, or its snippet ran past the image edge. These mark failed measurements and most false
detections. Flags that only qualify a good measurement are kept: RESIDUAL_INCONSISTENT (a close cell's clustered
label is not a point dipole: on the simulated 500 ug/ml sample at 6-12 um most true cells carry it, and
excluding them would empty the group), OVERLAP (neighbours were fitted and subtracted), NO_CNN,
OUTSIDE_TRAINING_RANGE, CNN_REFINEMENT_DISAGREE and WEAK (dropping weak cells would bias the weakly labelled
samples upwards).

The fitted distance must also lie in a plausible window (``DEFAULT_DISTANCE_WINDOW_M``, 4-35 um): a cell
adhered to the diamond cannot have its centre closer than its radius (a fit at 1-3 um has collapsed onto
one cluster of a close cell's label), and a dipole fitted 35 um or more away is background structure, not a
cell (a 2.9 uT cell there peaks at 0.2 uT, at the map's noise). On the simulated study these two cuts remove
the failed fits and false detections that the flags leave, and no correctly measured cell.

For every cell the study also computes the *raw* peak field, the peak B_NV
its fitted iron mass gives at its fitted distance, B_peak = physics.peak_b_nv_t(M(m), z): what one would
compare without normalising, and what differences in distance between samples distort.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from analysis import physics
from analysis.cells import flags as cell_flags
from analysis.cells.deblend import MAX_DETECTED_Z_M
from analysis.session import read_session

CONCENTRATION_KEY = "spion_concentration_ug_per_ml"
EXCLUDED_FLAGS = cell_flags.NOT_CONVERGED | cell_flags.AT_BOUND | cell_flags.AT_EDGE
DEFAULT_DISTANCE_WINDOW_M = (4e-6, MAX_DETECTED_Z_M)
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
    """Cells left out for a flag in ``EXCLUDED_FLAGS``."""
    outside_window: int = 0
    """Cells left out for a fitted distance outside the plausible window."""
    field_map_t: np.ndarray | None = field(default=None, repr=False)
    """Background-subtracted B_NV map (for figures), if the session has one."""
    cell_rows_px: np.ndarray | None = None
    cell_cols_px: np.ndarray | None = None
    not_usable: list = field(default_factory=list)
    """Cells left out because their ``usable`` verdict is False: (row_px, col_px, usable_reason) each."""

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
            "Set it in nvscope: File > Open the session, type the SPION concentration in the Session tab and press "
            "Save to the file.")
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


def session_cells(session, distance_window_m=DEFAULT_DISTANCE_WINDOW_M):
    """``SessionCells`` of a ``Session`` (``analysis.session.read_session``) that has a cell table; cells are
    kept as the module docstring says (flags, distance window (min, max) in m; None: no window)."""
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
    flagged = outside = 0
    not_usable = []
    if "usable" in cols:  # only usable cells enter the statistics; the others are counted and listed
        usable = np.asarray(cols["usable"]).astype(bool)
        reasons = cols.get("usable_reason", [""] * n)
        where = [np.asarray(cols.get(k, np.full(n, np.nan)), dtype=np.float64) for k in ("row_px", "col_px")]
        not_usable = [(float(where[0][i]), float(where[1][i]), str(reasons[i])) for i in np.flatnonzero(~usable)]
        good &= usable
    if "flag" in cols:
        ok_flag = (np.asarray(cols["flag"]).astype(np.int64) & EXCLUDED_FLAGS) == 0
        flagged = int(np.count_nonzero(good & ~ok_flag))
        good &= ok_flag
    if distance_window_m is not None:
        inside = (z >= distance_window_m[0]) & (z <= distance_window_m[1])
        outside = int(np.count_nonzero(good & ~inside))
        good &= inside
    values = {"diameter_m": diameter[good], "z_m": z[good], "iron_mass_g": mass_g[good],
              "normalised_field_t": normalised[good], "raw_peak_t": raw_peak_field_t(mass_g[good], z[good])}
    field_map = None
    if session.field_map is not None and "b_nv_residual_t" in session.field_map:
        field_map = np.asarray(session.field_map["b_nv_residual_t"])
    rows = np.asarray(cols["row_px"], dtype=np.float64)[good] if "row_px" in cols else None
    cols_px = np.asarray(cols["col_px"], dtype=np.float64)[good] if "col_px" in cols else None
    name = (session.sample_metadata or {}).get("name") or os.path.splitext(os.path.basename(session.path))[0]
    return SessionCells(str(session.path), str(name), concentration, session_pixel_size_m(session), values, n,
                        flagged, outside, field_map, rows, cols_px, not_usable)


def load_study(paths, distance_window_m=DEFAULT_DISTANCE_WINDOW_M):
    """``SessionCells`` of every session file in ``paths`` (each must have a concentration and a cell table)."""
    if not paths:
        raise StudyInputError("no session files given; pass the sessions of the study (e.g. study/*.h5).")
    if distance_window_m is not None and not (0 <= distance_window_m[0] < distance_window_m[1]):
        raise StudyInputError(f"distance window {distance_window_m} m: give (min, max) with 0 <= min < max.")
    return [session_cells(read_session(path), distance_window_m) for path in paths]
