"""Simulated 32 x 32 snippets of background-subtracted B_NV with their ground truth (the CNN's training data).

Conventions (shared with detection and refinement): a snippet is ``b_nv_map[r0-16:r0+16, c0-16:c0+16]`` in
tesla around an integer pixel (r0, c0); its reference pixel is index 16 on both axes. The truth is

    x_px, y_px      cell centre minus the reference pixel, along columns (x) and rows (y), in pixels
    z_m             height of the cell centre above the NV layer (z >= d / 2)
    diameter_m      cell diameter
    iron_mass_kg    iron on the membrane (moment = 54.9 A m^2/kg x mass, along the NV axis)
    background_t    C, the mean over the snippet of the residual background (plane + quadratic + C)

Recipe (``SnippetRecipe``, all numbers go into the model card): the cell is a sphere with clusters at random
points of its membrane (``analysis.physics``: the same dipole kernel as the virtual microscope); 0-3
neighbouring cells whose centres lie 12-30 px from the reference pixel, so they overlap the snippet partly;
a residual plane + quadratic + constant; white Gaussian noise per pixel (half of the snippets spatially
correlated by a 3 x 3 binomial kernel), sigma log-uniform over 10-300 nT. A pixel's noise is
sigma = eta / sqrt(T) for a sensitivity eta over an effective integration time T: 200 nT/sqrt(Hz) gives
200 nT at 1 s, 100 nT at 4 s, 50 nT at 16 s, 20 nT at 100 s.

Snippets too faint to be detected are not useful training data: for each snippet the iron mass is drawn
log-uniform between max(m_min, m_snr) and m_max, where m_snr puts the cell's own peak |B_NV| within the
snippet at ``min_peak_snr`` times the noise sigma. The field is linear in the iron mass, so the geometry
(rendered once per snippet, the expensive part) and the mass, background and noise (cheap) are drawn in two
steps; training reuses rendered geometry with fresh masses, backgrounds and noise.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from analysis import physics

SNIPPET_SIZE = 32
REFERENCE_INDEX = 16
PICOGRAM_KG = physics.PICOGRAM_KG
BINOMIAL_WEIGHTS = (0.25, 0.5, 0.25)
"""The correlated noise: white noise smoothed by the outer product of these (3 x 3), divided by
``BINOMIAL_NORM`` so that every pixel keeps its sigma."""
BINOMIAL_NORM = float(np.sum(np.outer(BINOMIAL_WEIGHTS, BINOMIAL_WEIGHTS) ** 2) ** 0.5)


@dataclass(frozen=True)
class SnippetRecipe:
    """Parameter ranges and realism settings of the simulated snippets (SI units)."""

    pixel_size_m: float = 1.3e-6
    nv_polar_deg: float = physics.NV_POLAR_ANGLE_DEG
    nv_azimuth_deg: float = physics.DEFAULT_NV_AZIMUTH_DEG
    max_offset_px: float = 3.0
    z_range_m: tuple = (5e-6, 40e-6)
    diameter_range_m: tuple = (6e-6, 25e-6)
    iron_mass_range_kg: tuple = (0.05e-15, 20e-15)
    cluster_count_range: tuple = (10, 200)
    max_neighbours: int = 3
    neighbour_distance_px: tuple = (12.0, 30.0)
    neighbour_max_clusters: int = 30
    noise_sigma_range_t: tuple = (10e-9, 300e-9)
    correlated_noise_fraction: float = 0.5
    min_peak_snr: float = 3.0
    background_offset_rel: float = 0.05
    background_slope_rel: float = 0.03
    background_curvature_rel: float = 0.02
    background_noise_multiple: float = 2.0

    def nv_axis_u(self):
        return physics.nv_axis(self.nv_polar_deg, self.nv_azimuth_deg)

    def describe(self):
        """Plain dict for the model card, with what each distribution is."""
        d = dataclasses.asdict(self)
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}
        d["distributions"] = {
            "x_px, y_px": "uniform in [-max_offset_px, +max_offset_px] about the reference pixel 16",
            "diameter_m": "uniform in diameter_range_m",
            "z_m": "uniform in [max(z_min, d/2), z_max] (never closer than the radius)",
            "n_clusters": "log-uniform integer in cluster_count_range; clusters uniform on the membrane",
            "iron_mass_kg": "log-uniform in [max(m_min, m_snr), m_max]; m_snr puts the cell's peak |B_NV| "
            "in the snippet at min_peak_snr x noise sigma",
            "neighbours": "0..max_neighbours cells from the same ranges (clusters capped at "
            "neighbour_max_clusters), centres neighbour_distance_px from the reference pixel",
            "noise": "white Gaussian, sigma log-uniform in noise_sigma_range_t; a fraction "
            "correlated_noise_fraction smoothed by a 3x3 binomial kernel (renormalised to sigma)",
            "background": "C + plane + quadratic (zero-mean over the snippet); each coefficient uniform "
            "+-(rel x peak + background_noise_multiple x sigma), rel = offset/slope/curvature; slope and "
            "curvature are the change from the centre to the snippet edge",
        }
        return d


DEFAULT_RECIPE = SnippetRecipe()
"""The cells one analyses (peak SNR >= 3): held-out sets, validation, tests and the accuracy report."""
TRAINING_MIN_PEAK_SNR = 1.5
TRAINING_RECIPE = dataclasses.replace(DEFAULT_RECIPE, min_peak_snr=TRAINING_MIN_PEAK_SNR)
"""What the CNN is trained on: the same, with cells down to peak SNR 1.5. A network trained only down to the
analysed range's own edge (SNR 3) sees faint cells at the edge of everything it knows and pulls them up (it
over-estimated the mass of SNR 3-6 cells by a median 20 %); trained below that edge, the analysed cells lie
inside its training distribution."""


def snippet_axes_m(pixel_size_m):
    """x (columns) and y (rows) of the snippet's pixel centres relative to the reference pixel, in metres."""
    x, y = physics.pixel_coordinates_m(SNIPPET_SIZE, SNIPPET_SIZE, pixel_size_m)
    return x - REFERENCE_INDEX * pixel_size_m, y - REFERENCE_INDEX * pixel_size_m


def _log_uniform(rng, low, high, size):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _draw_cells(rng, n, recipe, max_clusters):
    d = rng.uniform(*recipe.diameter_range_m, n)
    z = rng.uniform(np.maximum(recipe.z_range_m[0], d / 2.0), recipe.z_range_m[1])
    lo, hi = recipe.cluster_count_range
    n_clusters = np.minimum(np.floor(_log_uniform(rng, lo, hi + 1, n)).astype(np.int64), min(hi, max_clusters))
    return z, d, n_clusters


def _cluster_sources(rng, centres_m, diameter_m, n_clusters, u):
    """Positions (sum n, 3) of clusters uniform on each membrane, and unit-mass moments (1 pg per cell)."""
    unit = physics.random_sphere(int(n_clusters.sum()), rng)
    owner = np.repeat(np.arange(len(n_clusters)), n_clusters)
    positions = centres_m[owner] + 0.5 * diameter_m[owner, None] * unit
    per_cluster_am2 = physics.iron_mass_to_moment_am2(PICOGRAM_KG) / n_clusters[owner]
    return positions, per_cluster_am2[:, None] * u[None, :]


def render_geometry(n, seed, recipe=DEFAULT_RECIPE):
    """Draw n cell geometries and render their fields (the expensive step).

    Returns a dict: ``unit_field_t`` (n, 32, 32) float32, B_NV of the cell with 1 pg of iron;
    ``neighbour_field_t`` (n, 32, 32) float32, B_NV of its neighbours (their own masses); and the truth
    arrays ``x_px``, ``y_px``, ``z_m``, ``diameter_m``, ``n_clusters``, ``n_neighbours`` and the moment
    centroid ``centroid_x_px``, ``centroid_y_px``, ``centroid_z_m`` (mean cluster position).
    """
    rng = np.random.default_rng([seed, 0])
    p = recipe.pixel_size_m
    u = recipe.nv_axis_u()
    x_px = rng.uniform(-recipe.max_offset_px, recipe.max_offset_px, n)
    y_px = rng.uniform(-recipe.max_offset_px, recipe.max_offset_px, n)
    z, d, n_clusters = _draw_cells(rng, n, recipe, recipe.cluster_count_range[1])
    centres = np.stack([x_px * p, y_px * p, z], axis=1)
    pos, mom = _cluster_sources(rng, centres, d, n_clusters, u)
    # where the moment sits: the mean cluster position (equal moments), off the centre by about
    # (d/2) / sqrt(3 n) per axis; no estimate from the field can beat that spread for the centre itself
    centroid = np.add.reduceat(pos, np.concatenate([[0], np.cumsum(n_clusters)[:-1]]), axis=0) / n_clusters[:, None]

    n_neigh = rng.integers(0, recipe.max_neighbours + 1, n)
    k = int(n_neigh.sum())
    nz, nd, nclu = _draw_cells(rng, k, recipe, recipe.neighbour_max_clusters)
    radius = rng.uniform(*recipe.neighbour_distance_px, k) * p
    angle = rng.uniform(0.0, 2.0 * np.pi, k)
    n_centres = np.stack([radius * np.cos(angle), radius * np.sin(angle), nz], axis=1)
    n_mass_pg = _log_uniform(rng, *recipe.iron_mass_range_kg, k) / PICOGRAM_KG
    npos, nmom = _cluster_sources(rng, n_centres, nd, nclu, u)
    nmom *= np.repeat(n_mass_pg, nclu)[:, None]

    x_m, y_m = snippet_axes_m(p)
    offsets = np.concatenate([[0], np.cumsum(n_clusters)])
    unit = physics.projected_field_snippets_t(x_m, y_m, pos, mom, offsets, u)
    cell_offsets = np.concatenate([[0], np.cumsum(nclu)])
    n_offsets = cell_offsets[np.concatenate([[0], np.cumsum(n_neigh)])]
    neigh = physics.projected_field_snippets_t(x_m, y_m, npos.reshape(-1, 3), nmom.reshape(-1, 3), n_offsets, u)
    return {
        "unit_field_t": unit.astype(np.float32),
        "neighbour_field_t": neigh.astype(np.float32),
        "x_px": x_px,
        "y_px": y_px,
        "z_m": z,
        "diameter_m": d,
        "n_clusters": n_clusters,
        "n_neighbours": n_neigh,
        "centroid_x_px": centroid[:, 0] / p,
        "centroid_y_px": centroid[:, 1] / p,
        "centroid_z_m": centroid[:, 2],
    }


def _noise(rng, n, sigma_t, correlated):
    white = rng.standard_normal((n, SNIPPET_SIZE + 2, SNIPPET_SIZE + 2), dtype=np.float32)
    out = white[:, 1:-1, 1:-1].copy()
    c = white[correlated]
    w0, w1, w2 = BINOMIAL_WEIGHTS
    c = c[:, :-2, :] * w0 + c[:, 1:-1, :] * w1 + c[:, 2:, :] * w2
    out[correlated] = (c[:, :, :-2] * w0 + c[:, :, 1:-1] * w1 + c[:, :, 2:] * w2) / BINOMIAL_NORM
    out *= sigma_t[:, None].astype(np.float32)[:, :, None]
    return out


def _background_basis():
    """(5, 32, 32): x, y (centre 0, edge +-1), then x^2, y^2, x y with their snippet mean removed."""
    g = (np.arange(SNIPPET_SIZE) - (SNIPPET_SIZE - 1) / 2) / (SNIPPET_SIZE / 2)
    gx, gy = np.meshgrid(g, g)
    quad = [q - q.mean() for q in (gx * gx, gy * gy, gx * gy)]
    return np.stack([gx, gy, *quad]).astype(np.float32)


_BASIS = _background_basis()


def compose_snippets(geometry, rng, recipe=DEFAULT_RECIPE, noise_sigma_t=None, index=None):
    """Add iron mass, neighbours, residual background and noise to rendered geometry (the cheap step).

    ``index`` picks rows of ``geometry`` (default: all); ``noise_sigma_t`` fixes the noise (else drawn).
    Returns (snippets (n, 32, 32) float32 in tesla, truth dict of (n,) arrays in SI units).
    """
    idx = np.arange(len(geometry["z_m"])) if index is None else np.asarray(index)
    n = len(idx)
    unit = geometry["unit_field_t"][idx]
    if noise_sigma_t is None:
        sigma = _log_uniform(rng, *recipe.noise_sigma_range_t, n)
    else:
        sigma = np.full(n, float(noise_sigma_t))
    unit_peak_t = np.abs(unit).reshape(n, -1).max(axis=1)
    m_lo, m_hi = (np.log(v / PICOGRAM_KG) for v in recipe.iron_mass_range_kg)
    m_snr = np.log(recipe.min_peak_snr * sigma / unit_peak_t)
    m_lo = np.minimum(np.maximum(m_lo, m_snr), m_hi)
    mass_pg = np.exp(rng.uniform(m_lo, m_hi))
    cell = unit * mass_pg[:, None, None].astype(np.float32)
    peak = (unit_peak_t * mass_pg).astype(np.float32)

    scale = lambda rel: rel * peak + recipe.background_noise_multiple * sigma  # noqa: E731 - local shorthand
    coeff = rng.uniform(-1.0, 1.0, (n, 6)).astype(np.float32)
    offset = coeff[:, 0] * scale(recipe.background_offset_rel)
    coeff[:, 1:3] *= scale(recipe.background_slope_rel)[:, None]
    coeff[:, 3:] *= scale(recipe.background_curvature_rel)[:, None]
    background = (coeff[:, 1:] @ _BASIS.reshape(5, -1)).reshape(n, SNIPPET_SIZE, SNIPPET_SIZE)
    background += offset[:, None, None]
    correlated = rng.random(n) < recipe.correlated_noise_fraction
    snippets = cell + geometry["neighbour_field_t"][idx] + background + _noise(rng, n, sigma, correlated)
    truth = {name: np.asarray(geometry[name])[idx] for name in ("x_px", "y_px", "z_m", "diameter_m")}
    truth.update(
        iron_mass_kg=mass_pg * PICOGRAM_KG,
        background_t=offset.astype(np.float64),
        noise_sigma_t=sigma,
        correlated_noise=correlated,
        peak_snr=peak / sigma,
        n_clusters=np.asarray(geometry["n_clusters"])[idx],
        n_neighbours=np.asarray(geometry["n_neighbours"])[idx],
        **{k: np.asarray(geometry[k])[idx] for k in ("centroid_x_px", "centroid_y_px", "centroid_z_m")},
    )
    return snippets.astype(np.float32), truth


def generate_snippets(n, seed, recipe=DEFAULT_RECIPE, noise_sigma_t=None):
    """n snippets (n, 32, 32) float32 in tesla and their truth; the same (n, seed, recipe) gives the same data."""
    return generate_with_geometry(n, seed, recipe, noise_sigma_t)[1:]


def generate_with_geometry(n, seed, recipe=DEFAULT_RECIPE, noise_sigma_t=None):
    """(geometry, snippets, truth): ``generate_snippets``' data with the rendered parts kept (the neighbours'
    field among them), for reports that need more than the snippets."""
    geometry = render_geometry(n, seed, recipe)
    return (geometry, *compose_snippets(geometry, np.random.default_rng([seed, 1]), recipe, noise_sigma_t))


def render_cells_snippet_t(cells, recipe=DEFAULT_RECIPE):
    """Noiseless snippet (32, 32) of ``physics.LabelledCell``s whose positions are relative to the reference
    pixel (x_m = x_px * pixel size), through the same batched kernel the generator uses."""
    u = recipe.nv_axis_u()
    pos, mom = zip(*(c.sources(u) for c in cells), strict=True)
    pos, mom = np.concatenate(pos), np.concatenate(mom)
    x_m, y_m = snippet_axes_m(recipe.pixel_size_m)
    return physics.projected_field_snippets_t(x_m, y_m, pos, mom, [0, len(pos)], u)[0]
