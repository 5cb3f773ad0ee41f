"""Speed of the forward model: one 32 x 32 snippet of a 100-cluster cell, one 256 x 256 virtual-microscope frame.

Run: ``make bench-physics`` (or ``.venv/bin/python -m benchmarks.bench_physics``). Targets (issue 2): a snippet in
well under 1 ms; a frame in under 10 ms on one core (the frame kernels are serial; NUMBA_NUM_THREADS=1 is set).
"""

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from analysis import physics  # noqa: E402
from benchmarks.machine import describe_machine  # noqa: E402
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells  # noqa: E402


def best_of(fn, repeats):
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return np.median(times), np.min(times)


def main():
    u = physics.nv_axis()
    cell = physics.LabelledCell(20.8e-6, 20.8e-6, 15e-6, 12e-6, 1.75e-15, n_clusters=100, cluster_seed=1)
    x, y = physics.pixel_coordinates_m(32, 32, 1.3e-6)
    src, mom = cell.sources(u)
    snippet_med, snippet_min = best_of(lambda: physics.projected_field_map_t(x, y, src, mom, u), 2000)
    whole_med, _ = best_of(lambda: physics.cells_b_nv_map_t([cell], x, y, u), 500)

    vm = VirtualMicroscope(VirtualSample(cells=random_cells(20, seed=1)), seed=1)
    f = float(vm._f_minus[128, 128])
    frame_med, frame_min = best_of(lambda: vm.render_frame(f, True, 0.0, True, 1e-3), 300)
    expect_med, _ = best_of(lambda: vm.expected_electrons(f, True, 0.0, True, 1e-3), 300)

    print(f"machine: {describe_machine()}; numba threads: {os.environ['NUMBA_NUM_THREADS']}")
    print(f"32x32 snippet, 100-cluster cell (dipole kernel only): median {snippet_med * 1e3:.3f} ms "
          f"(best {snippet_min * 1e3:.3f} ms)")
    print(f"32x32 snippet including cluster placement:          median {whole_med * 1e3:.3f} ms")
    print(f"256x256 noisy EMCCD frame of the virtual microscope:  median {frame_med * 1e3:.2f} ms "
          f"(best {frame_min * 1e3:.2f} ms); of which expected counts {expect_med * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
