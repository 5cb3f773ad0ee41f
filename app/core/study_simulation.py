"""A simulated labelling study (``nvscope simulate-study``): one session per SPION concentration, through the
virtual microscope.

The samples differ the way the paper's did (DESIGN section 2): each has its own mean cell distance (adhesive
thickness, tilt; the 500 ug/ml sample markedly closer) and its own number of cells. A cell's iron mass is
log-normal around the paper's saturation curve (``instruments.virtual_microscope.labelling``): the *mean*
normalised field of a sample's cells is B_max (1 - exp(-c ln 2 / c_half)), so the log-normal median is that
mass times exp(-s^2 / 2). Diameters are normal (12 +- 1.5 um), distances uniform within +- ``z_spread`` of the
sample's mean distance, positions random.

Iron masses are *stratified* by default: a sample's n masses are the log-normal's quantiles (k + 1/2) / n in a
random order, scaled so that their mean lies exactly on the curve. Each sample then shows the full spread, but
its mean does not wander by the ~6 % (s / sqrt(n)) that n independent draws would add; so the recovery of the
curve tests the measurement and the analysis, not the luck of the draw. ``mass_sampling="random"`` draws them
independently instead (docs/study.md gives the scatter of the recovered half-maximum that this adds).

Speed: each frequency step's RF-on and RF-off sums of ``pairs`` frames are drawn at once with
``VirtualMicroscope.render_frame_sum`` (the same physics and noise law as frame by frame; see its docstring),
and written with ``SessionWriter`` exactly as the sweep engine writes them (dark frame, plan, truth included).
Time stamps are nominal: each step lasts 2 x pairs x exposure from the start of the simulation.
"""

import dataclasses
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from analysis import physics
from analysis.session import SessionWriter
from app.core.session_files import with_calibration
from app.core.simulated_sample import DEFAULT_WINDOW_HALF_WIDTH_HZ, calibration_of, truth_of
from app.core.study_defaults import DEFAULT_CELLS, DEFAULT_MASS_LOG_SD, DEFAULT_MEAN_Z_UM, DEFAULT_Z_SPREAD_UM
from app.version import APP_VERSION
from instruments.sweep import SweepPlan
from instruments.virtual_microscope import (
    PAPER_CONCENTRATIONS_UG_PER_ML,
    VirtualMicroscope,
    VirtualSample,
    iron_mass_for_concentration_kg,
    random_cells,
)

DARK_FRAMES = 8
SNIPPET_MARGIN_M = 22e-6
"""Cells are kept this far from the edge so that a 32 x 32 snippet (41.6 um at 1.3 um pixels) fits around each."""


@dataclass(frozen=True)
class SimulatedSample:
    concentration_ug_per_ml: float
    n_cells: int
    mean_z_m: float
    seed: int

    @property
    def name(self):
        dilution = 1000.0 / self.concentration_ug_per_ml
        return f"SPION {self.concentration_ug_per_ml:g} ug/ml (1:{dilution:g})"


def default_samples(seed=0, concentrations=None, cells=None, mean_z_um=None):
    """The default study: the paper's five concentrations with different distances and cell counts."""
    conc = tuple(concentrations or PAPER_CONCENTRATIONS_UG_PER_ML)
    cells = tuple(cells or DEFAULT_CELLS)
    mean_z = tuple(mean_z_um or DEFAULT_MEAN_Z_UM)
    for name, values in (("--cells", cells), ("--mean-z-um", mean_z)):
        if len(values) != len(conc):
            raise ValueError(f"{name} gives {len(values)} values for {len(conc)} concentrations; give one per "
                             "concentration.")
    return [SimulatedSample(float(c), int(n), float(z) * 1e-6, seed * 1000 + i)
            for i, (c, n, z) in enumerate(zip(conc, cells, mean_z, strict=True))]


def lognormal_median_kg(mean_mass_kg, log_sd):
    """Median of the log-normal iron-mass law of spread ``log_sd`` whose mean is ``mean_mass_kg``."""
    return mean_mass_kg * math.exp(-0.5 * log_sd**2)


def random_masses_kg(mean_mass_kg, n_cells, log_sd, rng):
    """n independent log-normal masses of spread ``log_sd`` and mean ``mean_mass_kg`` (the virtual microscope's
    ``random_cells`` law: median times exp(N(0, log_sd)))."""
    return lognormal_median_kg(mean_mass_kg, log_sd) * np.exp(log_sd * rng.standard_normal(n_cells))


def stratified_masses_kg(mean_mass_kg, n_cells, log_sd, rng):
    """n log-normal masses at the quantiles (k + 1/2) / n, in random order, scaled to the mean ``mean_mass_kg``."""
    quantiles = [NormalDist().inv_cdf((k + 0.5) / n_cells) for k in range(n_cells)]
    masses = np.exp(log_sd * np.asarray(quantiles))
    return rng.permutation(masses * (mean_mass_kg / masses.mean()))


def sample_microscope(spec, size=(256, 256), z_spread_m=DEFAULT_Z_SPREAD_UM * 1e-6, mass_log_sd=DEFAULT_MASS_LOG_SD,
                      mass_sampling="stratified"):
    """The virtual microscope imaging one simulated sample (see the module docstring for the mass sampling)."""
    if mass_sampling not in ("stratified", "random"):
        raise ValueError(f"mass_sampling = {mass_sampling!r}; choose 'stratified' or 'random'.")
    rows, cols = size
    mean_mass = iron_mass_for_concentration_kg(spec.concentration_ug_per_ml)
    z_low = max(spec.mean_z_m - z_spread_m, 1e-6)
    cells = random_cells(spec.n_cells, spec.seed, n_rows=rows, n_cols=cols,
                         z_range_m=(z_low, spec.mean_z_m + z_spread_m),
                         iron_mass_median_kg=lognormal_median_kg(mean_mass, mass_log_sd), iron_mass_log_sd=mass_log_sd,
                         margin_m=SNIPPET_MARGIN_M)
    if mass_sampling == "stratified":
        masses = stratified_masses_kg(mean_mass, len(cells), mass_log_sd, np.random.default_rng(spec.seed + 7919))
        cells = tuple(dataclasses.replace(c, iron_mass_kg=float(m)) for c, m in zip(cells, masses, strict=True))
    return VirtualMicroscope(VirtualSample(n_rows=rows, n_cols=cols, cells=cells), seed=spec.seed)


def write_simulated_session(path, microscope, spec, pairs=300, n_points=101, exposure_s=1e-3, rf_power_dbm=0.0,
                            overwrite=False, on_step=None, options=None):
    """Acquire one simulated sweep (f- of the bias field +- 6 MHz) into a session file; returns the path."""
    f_minus, _ = physics.transitions_hz(microscope.sample.bias_field_t, microscope.d_hz)
    window = (f_minus - DEFAULT_WINDOW_HALF_WIDTH_HZ, f_minus + DEFAULT_WINDOW_HALF_WIDTH_HZ, int(n_points))
    plan = SweepPlan.from_windows([window], pairs_per_step=int(pairs), n_sweeps=1, exposure_s=exposure_s,
                                  rf_power_dbm=rf_power_dbm)
    dark = microscope.render_frame_sum(DARK_FRAMES, f_minus, False, rf_power_dbm, False, exposure_s) / DARK_FRAMES
    metadata = {"name": spec.name, "spion_concentration_ug_per_ml": spec.concentration_ug_per_ml,
                "notes": f"simulated labelling study sample: {spec.n_cells} cells, mean distance "
                         f"{spec.mean_z_m * 1e6:.1f} um (nvscope simulate-study, seed {spec.seed})"}
    metadata = with_calibration(metadata, calibration_of(microscope, "simulated (nvscope simulate-study)"))
    settings = {"simulated": True, "generator": "nvscope simulate-study (VirtualMicroscope.render_frame_sum)",
                "spec": asdict(spec), "spin": asdict(microscope.spin), "optics": asdict(microscope.optics),
                "camera": asdict(microscope.camera), "options": dict(options or {})}
    step_s = 2 * pairs * exposure_s
    t0 = time.time()
    writer = SessionWriter.create(path, frame_shape=microscope.shape, freq_hz=[plan.frequencies_hz],
                                  plan=plan.to_dict(), instrument_settings=json.loads(json.dumps(settings)),
                                  sample_metadata=metadata, truth=truth_of(microscope), app_version=APP_VERSION,
                                  overwrite=overwrite, dark_frame_adu=dark.astype(np.float32))
    with writer:
        for k, freq in enumerate(plan.frequencies_hz):
            on = microscope.render_frame_sum(pairs, freq, True, rf_power_dbm, True, exposure_s)
            off = microscope.render_frame_sum(pairs, freq, False, rf_power_dbm, True, exposure_s)
            writer.write_step(k, 0, on, off, pairs, t0 + k * step_s, t0 + (k + 1) * step_s)
            if on_step is not None:
                on_step(k + 1)
        writer.finish("finished")
    return path


def simulate_study(out_dir, samples, size=(256, 256), pairs=300, n_points=101, exposure_s=1e-3, overwrite=False,
                   z_spread_m=DEFAULT_Z_SPREAD_UM * 1e-6, mass_log_sd=DEFAULT_MASS_LOG_SD, mass_sampling="stratified",
                   progress=None):
    """Write one session per ``SimulatedSample`` into ``out_dir``; returns the list of paths.

    progress(done_steps, total_steps) is called after every frequency step."""
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"spion_{_tag(s.concentration_ug_per_ml)}ugml.h5") for s in samples]
    existing = [p for p in paths if os.path.exists(p)]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists; sessions are never replaced silently. Choose another --out, "
                              "or add --force to replace them.")
    total = len(samples) * n_points
    for i, (spec, path) in enumerate(zip(samples, paths, strict=True)):
        microscope = sample_microscope(spec, size, z_spread_m, mass_log_sd, mass_sampling)
        done_before = i * n_points
        options = {"z_spread_m": z_spread_m, "mass_log_sd": mass_log_sd, "mass_sampling": mass_sampling}
        on_step = None if progress is None else (lambda k, d=done_before: progress(d + k, total))
        write_simulated_session(path, microscope, spec, pairs, n_points, exposure_s, overwrite=overwrite,
                                on_step=on_step, options=options)
    return paths


def _tag(concentration):
    return f"{concentration:g}".replace(".", "p")
