"""Cells grouped by the sample's SPION concentration (several sessions of one concentration are pooled)."""

import math
from dataclasses import dataclass

import numpy as np

from .samples import QUANTITIES


@dataclass
class ConcentrationGroup:
    """Every good cell of the sessions at one concentration: quantity -> 1-D array (SI units)."""

    concentration_ug_per_ml: float
    session_names: list
    values: dict

    @property
    def n_cells(self):
        return int(self.values["z_m"].size)

    def mean(self, quantity):
        v = self.finite(quantity)
        return float(np.mean(v)) if v.size else float("nan")

    def sem(self, quantity):
        """Standard error of the mean: sample standard deviation / sqrt(n) (NaN for fewer than 2 cells)."""
        v = self.finite(quantity)
        return float(np.std(v, ddof=1) / math.sqrt(v.size)) if v.size >= 2 else float("nan")

    def finite(self, quantity):
        v = self.values[quantity]
        return v[np.isfinite(v)]


def group_by_concentration(samples):
    """``ConcentrationGroup`` per distinct concentration of ``samples`` (``SessionCells``), lowest first."""
    by_conc = {}
    for s in samples:
        by_conc.setdefault(float(s.concentration_ug_per_ml), []).append(s)
    groups = []
    for conc in sorted(by_conc):
        members = by_conc[conc]
        values = {q: np.concatenate([m.values[q] for m in members]) for q in QUANTITIES}
        groups.append(ConcentrationGroup(conc, [m.name for m in members], values))
    return groups
