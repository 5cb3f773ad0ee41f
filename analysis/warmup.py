"""Compile and cache every numba kernel that the first sweep and the first analysis use.

    python -m analysis.warmup

Nothing compiles at import (see ``analysis.fitting.lm.njit_on_first_call``), so without this the first
mock sweep, the first ``nvscope fit`` and the first ``nvscope analyze`` after an install each wait while
numba compiles (tens of seconds on 2 cores). ``make run`` / ``make test`` run this once after installing,
which writes numba's disk cache (``__pycache__/*.nbi, *.nbc`` beside the sources, or ``NUMBA_CACHE_DIR``);
every later process loads the machine code from there. Running it again is cheap (it loads the cache).

numba checks a cached kernel against its own source file only, so first the cached kernels are removed if any
source of the packages with kernels changed since the last warm-up (``analysis.numba_cache``): after an update
nothing runs machine code compiled from older sources.

Each step runs the real code path on a tiny problem (16 x 16 pixels), so what gets cached is exactly what
the application calls, with the same argument types.
"""

import sys
import time

import numpy as np

_PIXELS = 16
_FREQ_POINTS = 41


def _virtual_microscope():
    """The mock camera's kernels: expected electrons, one EMCCD frame, summed frames (the sweep engine)."""
    from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells

    vm = VirtualMicroscope(VirtualSample(n_rows=_PIXELS, n_cols=_PIXELS, cells=random_cells(1, 0)), seed=0)
    f_hz = vm.d_hz - 28e9 * 0.03
    vm.render_frame(f_hz, True, 0.0, True, 1e-3)
    vm.render_frame_sum(2, f_hz, True, 0.0, True, 1e-3)
    return vm


def _spin_contrast_cube(vm):
    from analysis import physics

    f_minus = float(np.median(physics.transitions_hz(vm.b_nv_map_t, vm.d_hz)[0]))
    freq_hz = f_minus + np.linspace(-7.5e6, 7.5e6, _FREQ_POINTS)
    off = vm.expected_electrons(freq_hz[0], False, 0.0, True, 1e-3)
    cube = np.stack([vm.expected_electrons(f, True, 0.0, True, 1e-3) / off for f in freq_hz], axis=-1)
    cube += 1e-4 * np.random.default_rng(0).standard_normal(cube.shape)
    return cube, freq_hz


def _odmr_fit(vm):
    """The contrast cube from the sums, the per-pixel fit (one compiled driver for every model; the live fit
    calls the same ``fit_odmr``), the background."""
    from analysis.background import remove_background
    from analysis.odmr import fit_odmr
    from analysis.odmr.preprocess import contrast_cube

    cube, freq_hz = _spin_contrast_cube(vm)
    sums = np.ones((3, _PIXELS, _PIXELS), dtype=np.uint64)
    contrast_cube(sums, sums, np.ones(3, dtype=np.uint64), None, np.arange(3))
    fit = fit_odmr(cube, freq_hz, model="15N", d_hz=vm.d_hz)
    remove_background(fit.b_nv_t, order=2)
    return fit


def _cells(vm, fit):
    """Cell detection and the per-cell dipole refinement (the LM core's batch entry with the dipole model)."""
    from analysis.background import remove_background
    from analysis.cells.analyze import analyze_field_map

    _, residual_t, _ = remove_background(fit.b_nv_t, order=2)
    analyze_field_map(residual_t, vm.sample.pixel_size_m, positions_px=[(8, 8)], model=False,
                      nv_azimuth_deg=vm.sample.nv_azimuth_deg)


def _fit_many():
    """``fit_many``: the batch entry of the LM core (study fits, cell snippets) with a one-line model."""
    from analysis import physics
    from analysis.fitting import fit_many
    from analysis.odmr import odmr_model

    x = np.linspace(-5e6, 5e6, 31)
    y = 1.0 - 0.02 * physics.lorentzian(x, 0.0, 1e6)
    fit_many(odmr_model, x, np.stack([y, y]), [1.0, 0.02, 1e6, 0.0], consts=np.zeros(1))


def warm_up(out=sys.stderr):
    """Run every step, printing each one's time; returns the total seconds."""
    start = time.perf_counter()

    def step(name, func, *args):
        t0 = time.perf_counter()
        result = func(*args)
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=out)
        return result

    from analysis.numba_cache import remove_stale_kernels

    removed = remove_stale_kernels()
    if removed:
        print(f"the sources changed since the numba cache was written: {removed} cached kernel files removed", file=out)
    print("warming the numba cache (compiles once after an install; loads from the cache afterwards)", file=out)
    vm = step("virtual microscope", _virtual_microscope)
    fit = step("ODMR fit, live fit, background", _odmr_fit, vm)
    step("cell detection and refinement", _cells, vm, fit)
    step("LM batch (fit_many)", _fit_many)
    total = time.perf_counter() - start
    print(f"numba cache warm ({total:.1f} s)", file=out)
    return total


if __name__ == "__main__":
    warm_up()
