"""Disk size of a session: the frame sums (uint64, shuffle + gzip) must stay under 2 x the size of the
same arrays as float32 (the issue's target); benchmarks/bench_session.py measures the full 256 x 256 x 101."""

import numpy as np

from analysis.session import SessionWriter, read_session


def realistic_step_sums(rng, shape, freq_index, n_steps, n_frames=300, mean_adu=20000.0):
    """Sums of n_frames frames of ~mean_adu ADU under a Gaussian laser spot, an ODMR dip of 1.5 % in the
    middle of the sweep, and shot-like noise of sqrt(counts)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    spot = np.exp(-2.0 * ((rows - shape[0] / 2) ** 2 + (cols - shape[1] / 2) ** 2) / (0.9 * max(shape)) ** 2)
    detuning = (freq_index - n_steps / 2) / (n_steps / 10)
    dip = 0.015 / (1.0 + detuning**2)
    off_mean = n_frames * mean_adu * spot
    on_mean = off_mean * (1.0 - dip)
    off = np.rint(off_mean + rng.standard_normal(shape) * np.sqrt(off_mean)).astype(np.uint64)
    on = np.rint(on_mean + rng.standard_normal(shape) * np.sqrt(on_mean)).astype(np.uint64)
    return on, off


def test_file_is_smaller_than_twice_the_float32_arrays(tmp_path):
    shape, n_steps = (64, 64), 21
    rng = np.random.default_rng(7)
    path = tmp_path / "size.h5"
    with SessionWriter.create(path, frame_shape=shape, freq_hz=np.linspace(2.02e9, 2.04e9, n_steps),
                              plan={"pairs_per_step": 300}, instrument_settings={}, sample_metadata={}) as writer:
        written = []
        for step in range(n_steps):
            on, off = realistic_step_sums(rng, shape, step, n_steps)
            written.append((on, off))
            writer.write_step(step, 0, on, off, 300, 0.0, 1.0)
    float32_bytes = 2 * n_steps * shape[0] * shape[1] * 4  # on_sum and off_sum as float32
    size = path.stat().st_size
    # Measured: 0.31 of this limit here (0.27 at 256 x 256 x 101, see docs/session_files.md): the ~13 bits
    # of shot noise per value are what does not compress. The bound itself is the requirement.
    assert size < 2 * float32_bytes, f"{size} bytes >= 2 x {float32_bytes}"
    session = read_session(path)
    assert np.array_equal(session.on_sum[5], written[5][0])  # compression is lossless


def test_sweeps_added_later_do_not_grow_the_finished_file(tmp_path):
    """Under SWMR, HDF5 cannot reuse the space of replaced chunks; finish() compacts the file."""
    shape, n_steps, n_sweeps = (48, 40), 11, 3
    rng = np.random.default_rng(8)
    path = tmp_path / "sweeps.h5"
    total_on = np.zeros((n_steps, *shape), np.uint64)
    with SessionWriter.create(path, frame_shape=shape, freq_hz=np.linspace(2.02e9, 2.04e9, n_steps),
                              plan={}, instrument_settings={}, sample_metadata={}) as writer:
        for sweep in range(n_sweeps):
            for step in range(n_steps):
                on, off = realistic_step_sums(rng, shape, step, n_steps)
                total_on[step] += on
                writer.write_step(step, sweep, on, off, 300, 0.0, 1.0)
            if sweep == 0:
                one_sweep_size = path.stat().st_size
        grown_size = path.stat().st_size
    final_size = path.stat().st_size
    assert grown_size > 2 * one_sweep_size  # what SWMR leaves: a copy of the sums per sweep
    # The totals of 900 frames carry ~0.8 bit more noise per value than those of 300: a few % larger.
    assert final_size < 1.15 * one_sweep_size
    assert np.array_equal(read_session(path).on_sum, total_on)
