"""From a session file to the field map and the cells, stage by stage.

    python benchmarks/bench_end_to_end.py [--size 256] [--steps 101] [--threads 2] [--no-cnn]

The session: the virtual microscope's default sample (15 labelled cells) at --size x --size pixels, --steps
frequency steps around f-, 30 on/off pairs per step, written with ``SessionWriter`` (outside the timings).
Then, timed: the whole ``analysis.pipeline.fit_session_file`` + ``analysis.session_cells.analyse_session_cells``
each reading the file, then what ``nvscope analyze`` runs (the sums read once, ``maps_reader.with_results``
for the maps; with and without the covariance), and each stage on its own: reading the file, the contrast cube
(the fused pass, and the old spin_contrast + moveaxis for comparison), the per-pixel fit, writing the fit
maps (with and without the covariance), background and field maps, and the cell analysis. Warm numba cache
assumed (the first run compiles: run ``python -m analysis.warmup`` first). Wall-clock seconds (say the load
with them) and the process's CPU seconds (all threads), which a loaded machine inflates much less.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import physics
from analysis.background import remove_background
from analysis.odmr import fit_odmr
from analysis.pipeline import FIT_UNITS, fit_cube_of, fit_session_file
from analysis.session import SessionWriter, read_session, write_fit_results
from analysis.session.maps_reader import with_results
from analysis.session_cells import analyse_session_cells
from benchmarks.machine import describe_machine
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells

PAIRS = 30


def make_session(path, size, n_steps, seed=0):
    vm = VirtualMicroscope(VirtualSample(n_rows=size, n_cols=size, cells=random_cells(15, seed)), seed=seed)
    f_minus = float(np.median(physics.transitions_hz(vm.b_nv_map_t, vm.d_hz)[0]))
    freq_hz = f_minus + np.linspace(-7.5e6, 7.5e6, n_steps)
    with SessionWriter.create(path, frame_shape=(size, size), freq_hz=freq_hz, plan={"pairs_per_step": PAIRS},
                              instrument_settings={}, sample_metadata={"pixel_size_m": vm.sample.pixel_size_m}
                              ) as writer:
        for step, f in enumerate(freq_hz):
            on = vm.render_frame_sum(PAIRS, f, True, 0.0, True, 1e-3)
            off = vm.render_frame_sum(PAIRS, f, False, 0.0, True, 1e-3)
            writer.write_step(step, 0, on, off, PAIRS, 0.0, 1.0)
    return vm


def analyse_once(path, covariance, use_cnn):
    """What ``nvscope analyze`` runs on a session without a field map: the sums read once."""
    session = read_session(path)
    fit_session_file(path, session=session, covariance=covariance)
    analyse_session_cells(path, session=with_results(session), use_cnn=use_cnn)


def timed(label, func, *args, **kwargs):
    t0, c0 = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    print(f"  {label:<58} {time.perf_counter() - t0:7.2f} s  (CPU {time.process_time() - c0:5.2f} s)")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=101)
    parser.add_argument("--threads", type=int, default=min(2, numba.config.NUMBA_NUM_THREADS))
    parser.add_argument("--no-cnn", action="store_true", help="cells by physics alone")
    args = parser.parse_args()
    numba.set_num_threads(args.threads)
    print(f"machine: {describe_machine()}; numba threads {numba.get_num_threads()}; "
          f"load average before {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.h5"
        make_session(path, args.size, args.steps)
        print(f"session {args.size} x {args.size} x {args.steps} steps, {path.stat().st_size / 1e6:.0f} MB")
        # once untimed: numba kernels loaded from the cache, onnxruntime and the CNN loaded, the file in the
        # OS cache (a command's import and model loading are not the pipeline's cost)
        fit_session_file(path)
        analyse_session_cells(path, use_cnn=not args.no_cnn)
        print("whole:")
        timed("fit_session_file + analyse_session_cells (reads twice)",
              lambda: (fit_session_file(path), analyse_session_cells(path, use_cnn=not args.no_cnn)))
        for covariance in (True, False):
            timed(f"what `nvscope analyze{'' if covariance else ' --no-covariance'}` runs (reads once)",
                  analyse_once, path, covariance, not args.no_cnn)
        print("stages:")
        session = timed("read_session (every on/off sum decompressed)", read_session, path)
        cube, freq_hz, transitions = timed("contrast cube, fused pass (fit_cube_of)", fit_cube_of, session)
        done = np.asarray(session.step_done, dtype=bool)
        timed("contrast cube, spin_contrast + moveaxis (before)",
              lambda: np.ascontiguousarray(np.moveaxis(session.spin_contrast()[done], 0, -1)))
        fit = timed("fit_odmr", fit_odmr, cube, freq_hz, model="15N", transitions=transitions)
        settings = fit.attributes()
        timed("write_fit_results (with covariance)", write_fit_results, path, fit.to_arrays(), units=FIT_UNITS,
              settings=settings)
        timed("write_fit_results (covariance=False)", write_fit_results, path, fit.to_arrays(), units=FIT_UNITS,
              settings=settings, covariance=False)
        timed("remove_background", remove_background, np.where(fit.converged, fit.b_nv_t, np.nan), order=2)
        fit_session_file(path)  # the field map the cell stage reads
        timed("analyse_session_cells (reads the session again)", analyse_session_cells, path,
              use_cnn=not args.no_cnn)
        session = timed("with_results (the maps alone: maps_reader)", with_results, read_session(path))
        timed("analyse_session_cells given the session (no second read)", analyse_session_cells, path,
              session=session, use_cnn=not args.no_cnn)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
