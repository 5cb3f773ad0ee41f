"""Speed of the mock instrument chain (targets of issue 3):

1. frames/s of the mock camera at zero exposure, 256 x 256 uint16, read through pylablib's acquisition calls
   (start_acquisition / wait_for_frame / read_multiple_images) while the mock camera renders every frame from
   the mock RF state (RF on, shutter open) through the virtual microscope — target >= 200 frames/s on 2 cores;
2. a frequency set + query round trip (``set_frequency_hz`` with its error-queue check, then ``frequency_hz``)
   through pyvisa-py to the mock SCPI server — target < 2 ms.

Run from the repository root:  python benchmarks/bench_instruments.py [--frames 600] [--round-trips 1000]
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments.config import load_config
from instruments.factory import build_microscope, open_instruments


class PrerenderedMicroscope:
    """Stand-in that returns one prerendered frame: isolates the cost of the mock camera and pylablib."""

    def __init__(self, microscope):
        self._vm = microscope
        self.state, self.camera, self.shape = microscope.state, microscope.camera, microscope.shape
        self._frame = microscope.render_frame(2.87e9, True, 0.0, True, 0.0)

    def render_frame(self, freq_hz, rf_on, rf_power_dbm, shutter_open, exposure_s):
        return self._frame.copy()

    def frame_from_state(self, exposure_s):
        return self._frame.copy()


def machine():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, Python "
            f"{platform.python_version()}, {cores} cores available ({os.cpu_count()} in the machine)")


def bench_frames(inst, n_frames):
    cam, vm = inst.camera, inst.microscope
    inst.shutter.open_shutter()
    inst.rf.set_frequency_hz(2.87e9)
    inst.rf.set_output(True)
    cam.set_exposure(0.0)
    render_s = []
    for _ in range(20):
        start = time.perf_counter()
        vm.frame_from_state(0.0)
        render_s.append(time.perf_counter() - start)
    cam.grab(5)  # warm up
    cam.setup_acquisition(mode="sequence", nframes=200)
    cam.start_acquisition()
    received = 0
    start = time.perf_counter()
    while received < n_frames:
        cam.wait_for_frame(timeout=5.0)
        frames = cam.read_multiple_images()
        received += len(frames)
    elapsed = time.perf_counter() - start
    status = cam.get_frames_status()
    cam.stop_acquisition()
    shape, dtype = frames[-1].shape, frames[-1].dtype
    return received / elapsed, float(np.median(render_s)), status.skipped, shape, dtype


def bench_round_trips(inst, n):
    rf = inst.rf
    latencies = np.empty(n)
    for i in range(n):
        freq_hz = 2.80e9 + (i % 1000) * 1e5
        start = time.perf_counter()
        rf.set_frequency_hz(freq_hz)
        read_back = rf.frequency_hz()
        latencies[i] = time.perf_counter() - start
        if abs(read_back - freq_hz) > 1e-3:
            raise RuntimeError(f"read back {read_back} Hz after setting {freq_hz} Hz")
    return np.median(latencies), np.percentile(latencies, 95), latencies.max()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--round-trips", type=int, default=1000)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    config = load_config()
    microscope = build_microscope(config.microscope)
    with open_instruments(config, PrerenderedMicroscope(microscope)) as inst:
        overhead_fps, _, _, _, _ = bench_frames(inst, args.frames)
    with open_instruments(config, microscope) as inst:
        fps, render_s, skipped, shape, dtype = bench_frames(inst, args.frames)
        print(f"mock chain: {fps:.0f} frames/s of {shape[0]} x {shape[1]} {dtype} at zero exposure "
              f"(RF on, shutter open; {args.frames} frames, {skipped} skipped) — target >= 200 frames/s")
        print(f"  VirtualMicroscope.render_frame alone: {render_s * 1e3:.2f} ms per frame (median of 20)")
        print(f"  mock camera + pylablib alone (prerendered frames): {overhead_fps:.0f} frames/s, "
              f"{1e3 / overhead_fps:.2f} ms per frame")
        median_s, p95_s, max_s = bench_round_trips(inst, args.round_trips)
        print(f"SCPI set + query round trip through pyvisa-py to the mock server: median {median_s * 1e3:.3f} ms, "
              f"p95 {p95_s * 1e3:.3f} ms, max {max_s * 1e3:.3f} ms ({args.round_trips} round trips; "
              "the set includes its error-queue check, sent in the same message) — target < 2 ms")


if __name__ == "__main__":
    main()
