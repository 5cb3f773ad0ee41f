"""Speed of the per-pixel ODMR fit: fit_odmr (numba LM core) against a per-pixel scipy least_squares loop.

The cube: 256 x 256 pixels x 101 frequencies, 15N doublet, the virtual microscope's default sample (random
labelled cells, quadratic background, 30 mT bias) seen around f-; spin contrast = expected RF-on /
RF-off electrons, with Gaussian noise of the size the EMCCD gives for ``N_PAIRS`` on/off pairs.
fit_odmr is timed whole (guesses, fits, maps) after a warm-up call; the scipy loop fits a random subset
of pixels with the same model, an analytic Jacobian and a per-pixel start, side by side in this run.
A flop-limit probe (``flop_probe``: only J^T J, J^T r and the p x p solve, as many times per pixel as
the fit built its normal equations) runs in the same process on the same pixels, and the ratio of the two
rates is printed: it does not depend on the machine's load the way the absolute rates do.

    python benchmarks/bench_odmr_fit.py [--threads 2] [--scipy-pixels 300] [--repeats 3]
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import physics
from analysis.fitting.small_linalg import cholesky_in_place, cholesky_solve
from analysis.odmr import fit_odmr
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells

N_PIXELS = 256
N_FREQ = 101
N_PAIRS = 100
EXPOSURE_S = 1e-3
RF_POWER_DBM = 0.0


def simulated_cube(seed=0):
    vm = VirtualMicroscope(VirtualSample(cells=random_cells(15, seed)), seed=seed)
    f_minus = float(np.median(physics.transitions_hz(vm.b_nv_map_t, vm.d_hz)[0]))
    freq_hz = f_minus + np.linspace(-7.5e6, 7.5e6, N_FREQ)
    off = vm.expected_electrons(freq_hz[0], False, RF_POWER_DBM, True, EXPOSURE_S) * N_PAIRS
    excess = vm.camera.excess_noise_factor
    rng = np.random.default_rng(seed)
    cube = np.empty((N_PIXELS, N_PIXELS, N_FREQ))
    for i, f in enumerate(freq_hz):
        on = vm.expected_electrons(f, True, RF_POWER_DBM, True, EXPOSURE_S) * N_PAIRS
        ratio = on / off
        sigma = ratio * excess * np.sqrt(1.0 / on + 1.0 / off)
        cube[:, :, i] = ratio + sigma * rng.standard_normal(ratio.shape)
    return cube, freq_hz, vm


def _doublet(p, f, offsets):
    """PL and Jacobian of the 15N doublet, p = (baseline, contrast, fwhm, centre), via analysis.physics."""
    dip = np.zeros_like(f)
    d_fwhm = np.zeros_like(f)
    d_centre = np.zeros_like(f)
    for o in offsets:
        line, dc, dw = physics.lorentzian_and_derivatives(f, p[3] + o, p[2])
        dip += line
        d_centre += dc
        d_fwhm += dw
    value = p[0] * (1.0 - p[1] * dip)
    jac = np.stack([1.0 - p[1] * dip, -p[0] * dip, -p[0] * p[1] * d_fwhm, -p[0] * p[1] * d_centre], axis=1)
    return value, jac


def scipy_loop(cube, freq_hz, pixels, fwhm_hz):
    """The per-pixel loop a notebook would write: start from the smoothed minimum, least_squares (MINPACK
    LM, analytic Jacobian, x_scale='jac'). Returns centres (Hz) and the elapsed time."""
    from scipy.optimize import least_squares

    offsets = physics.hyperfine_offsets_hz("15N")
    origin = float(freq_hz.mean())
    f = freq_hz - origin
    centres = np.empty(len(pixels))
    start_time = time.perf_counter()
    for n, (r, c) in enumerate(pixels):
        y = cube[r, c]
        smooth = np.convolve(y, np.ones(3) / 3.0, mode="same")
        p0 = np.array([np.max(smooth), (1.0 - smooth[1:-1].min() / smooth.max()) / 1.3, fwhm_hz,
                       f[1 + int(np.argmin(smooth[1:-1]))]])
        fit = least_squares(lambda p, y=y: _doublet(p, f, offsets)[0] - y, p0,
                            jac=lambda p: _doublet(p, f, offsets)[1], method="lm", x_scale="jac")
        centres[n] = fit.x[3] + origin
    return centres, time.perf_counter() - start_time


@njit(parallel=True, fastmath=True, cache=True)
def flop_probe(jac, data, evaluations, out):
    """Only the arithmetic the LM core cannot avoid: per evaluation, J^T J, J^T r and a p x p Cholesky solve.

    jac (p, n) one Jacobian scaled per fit and per evaluation (so nothing is hoisted out of the loops), data
    (m, n) the spectra, evaluations (m,) how many normal-equation builds each fit did. No model evaluation,
    no guess, no allocation in the loop: a bound the real fit cannot beat, not a fit."""
    m, n = data.shape
    p = jac.shape[0]
    for k in prange(m):
        hess = np.empty((p, p))
        grad = np.empty(p)
        total = 0.0
        for e in range(evaluations[k]):
            s = 1.0 + 1e-3 * e + 1e-9 * k
            for a in range(p):
                acc = 0.0
                for i in range(n):
                    acc += jac[a, i] * s * (data[k, i] - s)
                grad[a] = acc
                for b in range(a + 1):
                    acc = 0.0
                    for i in range(n):
                        acc += jac[a, i] * jac[b, i] * s
                    hess[a, b] = acc
                    hess[b, a] = acc
            for j in range(p):  # keep the factorisation from failing on the probe's made-up numbers
                hess[j, j] += 1e-30
            cholesky_in_place(hess, p)  # the LM core's own p x p Cholesky and triangular solves
            cholesky_solve(hess, grad, p)
            total += grad[0]
        out[k] = total


def probe_rate(cube, fit, repeats):
    """Fits/s (wall) and fits per CPU-second of ``flop_probe`` with each pixel's own evaluation count: its
    LM iterations + 1 (the start's normal equations; the covariance reuses the last ones)."""
    data = np.ascontiguousarray(cube.reshape(-1, cube.shape[2]))
    p = fit.params.shape[-1]
    jac = np.ascontiguousarray(np.random.default_rng(2).random((p, data.shape[1])))
    evaluations = fit.n_iter.reshape(-1).astype(np.int64) + 1
    out = np.empty(data.shape[0])
    flop_probe(jac, data[:64], evaluations[:64], out[:64])
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        flop_probe(jac, data, evaluations, out)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return data.shape[0] / min(walls), data.shape[0] / min(cpus), float(evaluations.mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=min(2, numba.config.NUMBA_NUM_THREADS))
    parser.add_argument("--scipy-pixels", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    numba.set_num_threads(args.threads)

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, python {platform.python_version()}, numpy {np.__version__}, "
          f"numba {numba.__version__} ({numba.get_num_threads()} threads)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    cube, freq_hz, vm = simulated_cube()
    noise = np.median(np.std(np.diff(cube, axis=2), axis=2)) / np.sqrt(2)
    print(f"cube: {cube.shape} (15N doublet, f- +- 7.5 MHz, noise {noise:.2e})")

    fit_odmr(cube[:16, :16], freq_hz, model="15N", d_hz=vm.d_hz)  # compile or load the numba cache
    times, cpu_times = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fit = fit_odmr(cube, freq_hz, model="15N", d_hz=vm.d_hz)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    n_fits = cube.shape[0] * cube.shape[1]
    best = min(times)
    nb_rate = n_fits / best
    all_times = ", ".join(f"{t:.3f}" for t in times)
    print(f"fit_odmr: {n_fits} pixels in {best:.3f} s (best of {args.repeats}; all {all_times})"
          f" -> {nb_rate:,.0f} fits/s on {numba.get_num_threads()} threads; converged {fit.converged.mean():.4f}, "
          f"mean iterations {fit.n_iter.mean():.2f}")
    print(f"  CPU time {min(cpu_times):.3f} s -> {n_fits / min(cpu_times):,.0f} fits per CPU-second "
          "(what one free core does; wall-clock falls short of threads x this when other processes share the cores)")
    pull = (fit.b_nv_t - vm.b_nv_map_t) / fit.b_nv_err_t
    print(f"  accuracy: RMS (B_fit - B_true) / B_err = {np.sqrt(np.nanmean(pull**2)):.3f}, "
          f"median B_err = {np.nanmedian(fit.b_nv_err_t) * 1e9:.0f} nT")

    probe_wall, probe_cpu, evaluations = probe_rate(cube, fit, args.repeats)
    print(f"flop-limit probe (J^T J, J^T r, {fit.params.shape[-1]}x{fit.params.shape[-1]} solve only; "
          f"{evaluations:.2f} evaluations per fit, same pixels): {probe_wall:,.0f} fits/s, "
          f"{probe_cpu:,.0f} per CPU-second")
    print(f"  ratio probe / fit_odmr: {probe_wall / nb_rate:.2f} x wall-clock, "
          f"{probe_cpu / (n_fits / min(cpu_times)):.2f} x CPU time (goal: within 4 x)")

    rng = np.random.default_rng(1)
    flat = rng.choice(n_fits, size=args.scipy_pixels, replace=False)
    pixels = [divmod(int(k), cube.shape[1]) for k in flat]
    fwhm_hz = float(np.median(fit.fwhm_hz))
    scipy_loop(cube, freq_hz, pixels[:5], fwhm_hz)  # warm-up (imports, numba array specialisations)
    centres, elapsed = scipy_loop(cube, freq_hz, pixels, fwhm_hz)
    sp_rate = len(pixels) / elapsed
    rows, cols = np.array(pixels).T
    agree = np.abs(centres - fit.center_hz[rows, cols]) / fit.center_err_hz[rows, cols]
    print(f"scipy least_squares loop: {len(pixels)} pixels in {elapsed:.3f} s -> {sp_rate:,.0f} fits/s (1 thread); "
          f"centres agree with fit_odmr within {np.percentile(agree, 99):.3f} standard errors (99th percentile)")
    print(f"speed-up fit_odmr / scipy loop: {nb_rate / sp_rate:.0f} x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
