"""The SPION-labelled cell: the forward model the virtual microscope and the CNN are built on.

A sphere of diameter d, centre at height z above the NV layer and at lateral (x, y); N clusters at points of
its surface, each a point dipole; the cell's iron mass is split equally over the clusters, and every moment
is parallel to the NV axis u (the bias field along u magnetises the SPIONs to saturation).
"""

import math
from dataclasses import dataclass

import numpy as np

from .constants import MOMENT_PER_IRON_MASS_AM2_PER_KG
from .dipole import projected_field_map_t
from .validation import (
    require_cell_above_layer,
    require_finite,
    require_integer_at_least,
    require_non_negative,
    require_positive,
)


def iron_mass_to_moment_am2(iron_mass_kg):
    """Saturated moment (A m^2) of SPIONs holding this much iron: 0.0549 A m^2 per gram of iron."""
    return np.asarray(iron_mass_kg, dtype=np.float64) * MOMENT_PER_IRON_MASS_AM2_PER_KG


def moment_to_iron_mass_kg(moment_am2):
    """Iron mass (kg) that carries a saturated moment (A m^2)."""
    return np.asarray(moment_am2, dtype=np.float64) / MOMENT_PER_IRON_MASS_AM2_PER_KG


def fibonacci_sphere(n_points):
    """n quasi-uniform unit vectors (golden-angle spiral): the evenly labelled membrane."""
    k = np.arange(n_points, dtype=np.float64) + 0.5
    cos_t = 1.0 - 2.0 * k / n_points
    sin_t = np.sqrt(1.0 - cos_t**2)
    phi = math.pi * (1.0 + math.sqrt(5.0)) * k
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=1)


def random_sphere(n_points, rng):
    """n unit vectors drawn uniformly on the sphere."""
    v = rng.standard_normal((n_points, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@dataclass(frozen=True)
class LabelledCell:
    """One SPION-labelled cell. SI units; ``cluster_seed`` fixes where its clusters sit.

    ``layout`` is "random" (clusters at random points of the membrane, as in real cells) or "uniform"
    (a quasi-uniform spiral, which is a point dipole at the centre to high accuracy).
    """

    x_m: float
    y_m: float
    z_m: float
    diameter_m: float
    iron_mass_kg: float
    n_clusters: int = 50
    cluster_seed: int = 0
    layout: str = "random"

    def __post_init__(self):
        require_finite("x_m", self.x_m, "m")
        require_finite("y_m", self.y_m, "m")
        require_positive("z_m", self.z_m, "m")
        require_positive("diameter_m", self.diameter_m, "m")
        require_non_negative("iron_mass_kg", self.iron_mass_kg, "kg")
        require_integer_at_least("n_clusters", self.n_clusters, 1)
        require_cell_above_layer(self.z_m, self.diameter_m)
        if self.layout not in ("random", "uniform"):
            raise ValueError(f"layout {self.layout!r} is not known; use 'random' or 'uniform'.")

    def cluster_positions_m(self):
        """(N, 3) positions of the clusters on the membrane, in metres."""
        if self.layout == "uniform":
            unit = fibonacci_sphere(self.n_clusters)
        else:
            unit = random_sphere(self.n_clusters, np.random.default_rng(self.cluster_seed))
        return np.array([self.x_m, self.y_m, self.z_m]) + 0.5 * self.diameter_m * unit

    def sources(self, nv_axis_u):
        """(positions (N, 3) m, moments (N, 3) A m^2) of the cell's cluster dipoles, all along u."""
        pos = self.cluster_positions_m()
        per_cluster = float(iron_mass_to_moment_am2(self.iron_mass_kg)) / self.n_clusters
        moments = np.tile(per_cluster * np.asarray(nv_axis_u, dtype=np.float64), (self.n_clusters, 1))
        return pos, moments

    @property
    def moment_am2(self):
        return float(iron_mass_to_moment_am2(self.iron_mass_kg))


def cells_b_nv_map_t(cells, x_m, y_m, nv_axis_u, out=None):
    """B_NV (T) of all cells on the pixel grid (rows = y, cols = x) in the NV plane."""
    if out is None:
        out = np.zeros((len(y_m), len(x_m)))
    if not cells:
        return out
    positions, moments = zip(*(c.sources(nv_axis_u) for c in cells), strict=True)
    return projected_field_map_t(x_m, y_m, np.concatenate(positions), np.concatenate(moments), nv_axis_u, out=out)
