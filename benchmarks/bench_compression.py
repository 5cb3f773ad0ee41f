"""Frame-sum compression for the session file: CPU time to write and read one frame sum, and its size.

    python benchmarks/bench_compression.py [--pairs 30] [--frames 20]

The frames are the virtual microscope's summed EMCCD frames (uint64, as the sweep engine stores them),
256 x 256 and 512 x 512, written one chunk per frame with fletcher32 as the session writer does, flushed
after each. Options: gzip level 4 (the old default), gzip 1, shuffle + LZF (h5py's own filter, the
current default: ``analysis.session.schema.SUM_STORAGE``), none; blosc/lz4 too when ``hdf5plugin`` is
installed. CPU time (process time), so the figures hold up on a loaded machine better than wall-clock.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import describe_machine
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells


def options():
    out = {"gzip 4 (old)": dict(compression="gzip", compression_opts=4, shuffle=True, fletcher32=True),
           "gzip 1": dict(compression="gzip", compression_opts=1, shuffle=True, fletcher32=True),
           "shuffle + lzf (now)": dict(compression="lzf", shuffle=True, fletcher32=True),
           "none": dict(fletcher32=True)}
    try:
        import hdf5plugin

        out["blosc lz4 + shuffle"] = dict(**hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE))
    except ImportError:
        pass
    return out


def measure(frame, storage, n_frames, folder):
    path = os.path.join(folder, "frames.h5")
    with h5py.File(path, "w") as f:
        dataset = f.create_dataset("sum", shape=(n_frames, *frame.shape), dtype=np.uint64,
                                   chunks=(1, *frame.shape), fillvalue=0, **storage)
        c0 = time.process_time()
        for i in range(n_frames):
            dataset[i] = frame + np.uint64(i)
            f.flush()
        write_s = (time.process_time() - c0) / n_frames
    size = os.path.getsize(path) / n_frames
    with h5py.File(path) as f:
        c0 = time.process_time()
        f["sum"][:]
        read_s = (time.process_time() - c0) / n_frames
    os.remove(path)
    return write_s, read_s, size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=30, help="frames summed per stored frame")
    parser.add_argument("--frames", type=int, default=20, help="frames written per measurement")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for size in (256, 512):
            vm = VirtualMicroscope(VirtualSample(n_rows=size, n_cols=size, cells=random_cells(10, 0)), seed=0)
            frame = vm.render_frame_sum(args.pairs, vm.d_hz - 0.84e9, True, 0.0, True, 1e-3).astype(np.uint64)
            for name, storage in options().items():
                write_s, read_s, nbytes = measure(frame, storage, args.frames, folder)
                print(f"{size} x {size} {name:<22} write {write_s * 1e3:6.2f} ms, read {read_s * 1e3:6.2f} ms CPU "
                      f"per frame; {nbytes / frame.nbytes:.3f} of the raw {frame.nbytes / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
