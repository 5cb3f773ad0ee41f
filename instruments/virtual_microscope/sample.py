"""The simulated sample: labelled cells above the NV layer, a quadratic background field and the bias.

Everything field-related is computed by ``analysis.physics``; this module only decides what is where.
"""

from dataclasses import dataclass, field

import numpy as np

from analysis import physics


@dataclass(frozen=True)
class QuadraticBackground:
    """B_bg(X, Y) = c0 + c1 X + c2 Y + c3 X^2 + c4 X Y + c5 Y^2 in tesla, with X, Y in [-1, 1] across the field
    of view (X along columns, Y along rows). Models the residual field of the magnet and stray sources."""

    coefficients_t: tuple = (0.0, 2.0e-6, -1.0e-6, 1.5e-6, 0.5e-6, -1.0e-6)

    def evaluate_t(self, n_rows, n_cols):
        xs = np.linspace(-1.0, 1.0, n_cols)
        ys = np.linspace(-1.0, 1.0, n_rows)
        x, y = np.meshgrid(xs, ys)
        c = self.coefficients_t
        return c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y


@dataclass(frozen=True)
class VirtualSample:
    """What lies on the diamond: cells (``physics.LabelledCell``), a background field, and the geometry."""

    n_rows: int = 256
    n_cols: int = 256
    pixel_size_m: float = 1.3e-6
    cells: tuple = ()
    background: QuadraticBackground = field(default_factory=QuadraticBackground)
    bias_field_t: float = physics.DEFAULT_BIAS_FIELD_T
    nv_azimuth_deg: float = physics.DEFAULT_NV_AZIMUTH_DEG

    def __post_init__(self):
        physics.validation.require_positive("pixel_size_m", self.pixel_size_m, "m")
        physics.validation.require_integer_at_least("n_rows", self.n_rows, 8)
        physics.validation.require_integer_at_least("n_cols", self.n_cols, 8)
        physics.validation.require_finite("bias_field_t", self.bias_field_t, "T")

    @property
    def nv_axis(self):
        return physics.nv_axis(physics.NV_POLAR_ANGLE_DEG, self.nv_azimuth_deg)

    def pixel_coordinates_m(self):
        return physics.pixel_coordinates_m(self.n_rows, self.n_cols, self.pixel_size_m)

    def cell_field_t(self):
        """B_NV (T) of the cells alone: the ground truth a background-subtracted field map should show."""
        x, y = self.pixel_coordinates_m()
        return physics.cells_b_nv_map_t(list(self.cells), x, y, self.nv_axis)

    def background_field_t(self):
        """The smooth background (T) without the bias: what background removal should find (minus its mean)."""
        return self.background.evaluate_t(self.n_rows, self.n_cols)

    def b_nv_map_t(self):
        """Total field along the NV axis (T) at every pixel: bias + background + cells."""
        return self.bias_field_t + self.background_field_t() + self.cell_field_t()


def random_cells(
    n_cells,
    seed,
    n_rows=256,
    n_cols=256,
    pixel_size_m=1.3e-6,
    z_range_m=(8e-6, 25e-6),
    diameter_mean_m=12e-6,
    diameter_sd_m=1.5e-6,
    iron_mass_median_kg=1.0e-15,
    iron_mass_log_sd=0.5,
    n_clusters_range=(20, 120),
    min_separation_m=30e-6,
    margin_m=15e-6,
):
    """Cells drawn at random with a seed: positions inside the field of view (kept ``margin_m`` from its edge
    and ``min_separation_m`` apart where possible), heights uniform in ``z_range_m`` (never closer than the
    radius), diameters normal, iron masses log-normal."""
    rng = np.random.default_rng(seed)
    width, height = n_cols * pixel_size_m, n_rows * pixel_size_m
    cells, placed = [], []
    attempts = 0
    while len(cells) < n_cells and attempts < 200 * max(n_cells, 1):
        attempts += 1
        x = rng.uniform(margin_m, width - margin_m)
        y = rng.uniform(margin_m, height - margin_m)
        if any((x - px) ** 2 + (y - py) ** 2 < min_separation_m**2 for px, py in placed):
            continue
        d = max(4e-6, rng.normal(diameter_mean_m, diameter_sd_m))
        z = max(rng.uniform(*z_range_m), 0.5 * d + 0.5e-6)
        mass = iron_mass_median_kg * float(np.exp(rng.normal(0.0, iron_mass_log_sd)))
        n_clusters = int(rng.integers(n_clusters_range[0], n_clusters_range[1] + 1))
        cells.append(physics.LabelledCell(x, y, z, d, mass, n_clusters, cluster_seed=int(rng.integers(2**31))))
        placed.append((x, y))
    if len(cells) < n_cells:
        raise ValueError(
            f"could place only {len(cells)} of n_cells = {n_cells} cells {min_separation_m * 1e6:.0f} um apart in "
            f"the field of view; ask for fewer cells or a smaller min_separation_m."
        )
    return tuple(cells)
