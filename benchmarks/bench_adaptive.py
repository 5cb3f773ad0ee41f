"""Adaptive against uniform CW-ODMR sweeps on the virtual microscope, at equal total frames.

The field: ``--pixels`` square, 1.3 um pixels, 15N, 30 mT bias, labelled cells rescaled so that their dipoles
move the line by up to ``--max-shift-mhz`` (0.5 MHz), and a quadratic background that spreads the resonance over
the field of view (about 0.6 MHz peak to peak). RF 0 dBm: FWHM 0.85 MHz, 1.5 % per line.

uniform: ``--points`` steps evenly over +-``--half-window-mhz`` about the field's median f-, ``--pairs`` pairs each.
adaptive: a uniform first pass over the same window with ``--first-share`` of the budget (half the points), fitted;
``analysis.adaptive.plan_adaptive_sweep`` plans the rest of the budget; the passes are combined
(``combine_passes``) and fitted with per-point weights. The adaptive pass is taken in ``--chunks`` equal parts
and fitted after each, to find the frames at which its median B_NV standard error reaches the uniform sweep's.

Figures: median per-pixel standard error of B_NV, rms and mean error against the simulated truth, rms pull
(error / standard error), the frames to reach the uniform's final noise. Frames are simulated as on/off sums
(``VirtualMicroscope.render_frame_sum``: EMCCD shot, excess and read noise), not through the engine.

    python benchmarks/bench_adaptive.py [--pixels 64] [--cells 3] [--pairs 100] [--first-share 0.2] [--seed 3]
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import physics  # noqa: E402
from analysis.adaptive import combine_passes, plan_adaptive_sweep  # noqa: E402
from analysis.background import remove_background  # noqa: E402
from analysis.cells.analyze import analyze_field_map  # noqa: E402
from analysis.odmr import fit_odmr  # noqa: E402
from benchmarks.machine import describe_machine  # noqa: E402
from instruments.virtual_microscope import QuadraticBackground, VirtualMicroscope, VirtualSample, random_cells  # noqa: E402

RF_POWER_DBM = 0.0
EXPOSURE_S = 1e-3
SPREADING_BACKGROUND_T = (0.0, 6e-6, -4e-6, 4e-6, 2e-6, -3e-6)


def dipole_field_microscope(n_pixels=64, max_shift_hz=0.5e6, n_cells=3, seed=3):
    """Cells whose iron masses are scaled so that their largest |shift| of the line is ``max_shift_hz``."""
    cells = random_cells(n_cells, seed, n_rows=n_pixels, n_cols=n_pixels, z_range_m=(8e-6, 12e-6),
                         min_separation_m=25e-6, margin_m=12e-6)
    sample = VirtualSample(n_rows=n_pixels, n_cols=n_pixels, cells=cells, background=QuadraticBackground(
        SPREADING_BACKGROUND_T))
    peak_hz = np.abs(sample.cell_field_t()).max() * physics.GYROMAGNETIC_RATIO_HZ_PER_T
    scale = max_shift_hz / peak_hz
    cells = tuple(dataclasses.replace(c, iron_mass_kg=c.iron_mass_kg * scale) for c in cells)
    return VirtualMicroscope(dataclasses.replace(sample, cells=cells), seed=seed)


def take_pass(vm, freq_hz, pairs):
    """Spin-contrast cube (rows, cols, n) of one pass: each step's on and off sums of ``pairs[k]`` frames."""
    bias = vm.camera.bias_adu
    cube = np.empty(vm.shape + (len(freq_hz),))
    for k, (f, n) in enumerate(zip(freq_hz, np.broadcast_to(pairs, np.shape(freq_hz)), strict=True)):
        on = vm.render_frame_sum(int(n), f, True, RF_POWER_DBM, True, EXPOSURE_S) - n * bias
        off = vm.render_frame_sum(int(n), f, False, RF_POWER_DBM, True, EXPOSURE_S) - n * bias
        cube[:, :, k] = on / off
    return cube


def field_figures(vm, fit):
    """Median SE, rms error, mean error, rms pull (T / dimensionless) over the pixels that fitted cleanly."""
    ok = (fit.flags == 0) & np.isfinite(fit.b_nv_err_t)
    err = fit.b_nv_t[ok] - vm.b_nv_map_t[ok]
    se = fit.b_nv_err_t[ok]
    return {"median_se_t": float(np.median(se)), "rms_error_t": float(np.sqrt(np.mean(err**2))),
            "mean_error_t": float(np.mean(err)), "mean_error_over_se": float(np.mean(err) / np.median(se)),
            "rms_pull": float(np.sqrt(np.mean((err / se) ** 2))), "good_fraction": float(ok.mean())}


def _fit(vm, freq, cube, sigma=None):
    return fit_odmr(cube, freq, "15N", sigma=sigma, d_hz=vm.d_hz)


def run_uniform(vm, window_hz, points, pairs):
    freq = np.linspace(*window_hz, points)
    fit = _fit(vm, freq, take_pass(vm, freq, pairs))
    return {"frames": 2 * points * pairs, **field_figures(vm, fit)}, fit


def run_adaptive(vm, window_hz, total_pairs, first_share=0.2, first_points=51, chunks=5, **plan_options):
    """First pass, plan, then the adaptive pass in ``chunks`` parts; figures after each part."""
    first_pairs = max(1, int(round(first_share * total_pairs / first_points)))
    f1 = np.linspace(*window_hz, first_points)
    n1 = np.full(first_points, first_pairs)
    cube1 = take_pass(vm, f1, n1)
    first_fit = _fit(vm, f1, cube1)
    left = total_pairs - int(n1.sum())
    plan = plan_adaptive_sweep(first_fit, window_hz, left, previous_freq_hz=f1, previous_pairs=n1, **plan_options)
    passes = [(f1, cube1, n1)]
    done = np.zeros_like(plan.pairs)
    history = []
    for part in range(1, chunks + 1):
        target = (plan.pairs * part) // chunks
        step = target - done
        take = step > 0
        passes.append((plan.freq_hz[take], take_pass(vm, plan.freq_hz[take], step[take]), step[take]))
        done = target
        freq, cube, pairs, sigma = combine_passes(passes)
        fit = _fit(vm, freq, cube, sigma)
        history.append({"frames": 2 * int(pairs.sum()), **field_figures(vm, fit)})
    return plan, history, fit


def cell_numbers(vm, fit):
    """Physics-only cell analysis (no CNN) of the background-subtracted map at the true cell positions:
    (iron mass g, its error, z m, its error) per cell."""
    px = vm.sample.pixel_size_m
    _, residual, _ = remove_background(fit.b_nv_t, order=2, pixel_size_m=px)
    positions = [(c.y_m / px, c.x_m / px) for c in vm.sample.cells]
    cells = analyze_field_map(residual, px, positions, model=False, nv_azimuth_deg=vm.sample.nv_azimuth_deg)
    return np.array([(c.iron_mass_g, c.iron_mass_g_err, c.z_m, c.z_m_err) for c in cells])


def compare_cells(vm, fit_a, fit_b):
    """Per cell: (a - b) / sqrt(err_a^2 + err_b^2) of iron mass and z, and the two error bars' ratio."""
    a, b = cell_numbers(vm, fit_a), cell_numbers(vm, fit_b)
    z_mass = (a[:, 0] - b[:, 0]) / np.hypot(a[:, 1], b[:, 1])
    z_height = (a[:, 2] - b[:, 2]) / np.hypot(a[:, 3], b[:, 3])
    return a, b, z_mass, z_height


def frames_to_reach(history, target_se):
    """Frames at which the median SE reaches ``target_se``: 1/SE^2 interpolated linearly in frames between the
    parts (information adds up with frames); None when even the last part is above it."""
    frames = np.array([h["frames"] for h in history], dtype=float)
    info = np.array([h["median_se_t"] ** -2 for h in history])
    goal = target_se**-2
    if info[-1] < goal:
        return None
    k = int(np.argmax(info >= goal))
    if k == 0:
        return float(frames[0] * goal / info[0])  # below the first part: information proportional to frames
    return float(np.interp(goal, info[k - 1: k + 1], frames[k - 1: k + 1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=int, default=64)
    ap.add_argument("--points", type=int, default=101)
    ap.add_argument("--pairs", type=int, default=100, help="uniform sweep: pairs per step")
    ap.add_argument("--half-window-mhz", type=float, default=6.0)
    ap.add_argument("--max-shift-mhz", type=float, default=0.5)
    ap.add_argument("--first-share", type=float, default=0.2)
    ap.add_argument("--chunks", type=int, default=5)
    ap.add_argument("--cells", type=int, default=3)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    vm = dipole_field_microscope(args.pixels, args.max_shift_mhz * 1e6, args.cells, seed=args.seed)
    f_minus = physics.transitions_hz(vm.b_nv_map_t, vm.d_hz)[0]
    spread = (f_minus.max() - f_minus.min()) / 1e6
    centre = float(np.median(f_minus))
    window = (centre - args.half_window_mhz * 1e6, centre + args.half_window_mhz * 1e6)
    total_pairs = args.points * args.pairs
    uniform, uniform_fit = run_uniform(vm, window, args.points, args.pairs)
    plan, history, adaptive_fit = run_adaptive(vm, window, total_pairs, args.first_share, chunks=args.chunks)
    reach = frames_to_reach(history, uniform["median_se_t"])
    print(f"machine: {describe_machine()}")
    print(f"field {args.pixels}x{args.pixels} px, f- spread {spread:.2f} MHz peak to peak, window +-"
          f"{args.half_window_mhz} MHz; budget {2 * total_pairs} frames")
    print(f"uniform: {args.points} steps; adaptive: first pass 51 steps, then {len(plan.freq_hz)} steps, shares "
          f"{plan.shares_pairs}, predicted gain {plan.predicted_gain:.2f}x")
    row = "{:<22} {:>8} {:>10} {:>10} {:>10} {:>9} {:>6}"
    print(row.format("sweep", "frames", "SE nT", "rms err nT", "mean/SE", "rms pull", "good"))
    for name, r in [("uniform", uniform)] + [(f"adaptive part {i + 1}", h) for i, h in enumerate(history)]:
        print(row.format(name, r["frames"], f"{r['median_se_t'] * 1e9:.1f}", f"{r['rms_error_t'] * 1e9:.1f}",
                         f"{r['mean_error_over_se']:+.3f}", f"{r['rms_pull']:.3f}", f"{r['good_fraction']:.3f}"))
    if reach is None:
        print("adaptive did not reach the uniform sweep's final median SE within the budget")
    else:
        print(f"adaptive reaches the uniform sweep's final median SE in {reach:.0f} frames = "
              f"{100 * reach / uniform['frames']:.1f} % of the uniform sweep's")
    true_mass_g = [c.iron_mass_kg * 1e3 for c in vm.sample.cells]
    u_cells, a_cells, z_mass, z_height = compare_cells(vm, uniform_fit, adaptive_fit)
    print("cells (physics-only analysis at the true positions): iron mass pg uniform | adaptive | truth; "
          "(uniform - adaptive) / combined error for mass and z")
    for k in range(len(true_mass_g)):
        print(f"  cell {k}: {u_cells[k, 0] * 1e12:.3f} +- {u_cells[k, 1] * 1e12:.3f} | {a_cells[k, 0] * 1e12:.3f} +- "
              f"{a_cells[k, 1] * 1e12:.3f} | {true_mass_g[k] * 1e12:.3f}; z {u_cells[k, 2] * 1e6:.2f} | "
              f"{a_cells[k, 2] * 1e6:.2f} um; differences {z_mass[k]:+.2f}, {z_height[k]:+.2f} sigma")
    print(f"wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
