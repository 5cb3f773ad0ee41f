"""Damaged, foreign and hostile session files fail fast with a SessionFileError naming the problem;
a killed result writer leaves a file that recover_session makes readable again (issue 13)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from analysis.session import (
    SessionFileError,
    SessionInUseError,
    SessionWriter,
    compact_session,
    read_session,
    recover_session,
    write_fit_results,
)
from analysis.session.safe_files import replacing
from tests.analysis.test_session_errors import SHAPE, make_session

FAST_S = 5.0  # the bound for "a clear error at once"


def read_fails(path, match):
    start = time.monotonic()
    with pytest.raises(SessionFileError, match=match):
        read_session(path)
    assert time.monotonic() - start < FAST_S


def flip(path, offsets):
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_signature_only_file_fails_at_once(tmp_path):
    path = tmp_path / "sig.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(40))
    read_fails(path, "cannot be read as an HDF5 file")


@pytest.mark.parametrize("seed", range(6))
def test_flipped_bytes_near_the_start_fail_at_once(tmp_path, seed):
    path = make_session(tmp_path / "f.h5")
    rng = np.random.default_rng(seed)
    flip(path, rng.integers(48, 2000, 5))
    start = time.monotonic()
    try:
        read_session(path)  # a flip in unused bytes may leave it readable: that is fine too
    except SessionFileError:
        pass
    assert time.monotonic() - start < FAST_S


def running_copy(tmp_path):
    """A copy of a file while its SWMR writer holds it: superblock flags 'open for SWMR writing'."""
    path = tmp_path / "live.h5"
    writer = SessionWriter.create(path, frame_shape=SHAPE, freq_hz=np.linspace(2.8e9, 2.9e9, 4), plan={},
                                  instrument_settings={}, sample_metadata={})
    writer.write_step(0, 0, np.full(SHAPE, 7), np.full(SHAPE, 9), 3, 0.0, 1.0)
    copy = tmp_path / "copy.h5"
    shutil.copyfile(path, copy)
    writer.finish("aborted")
    assert copy.read_bytes()[11] == 0x05  # write + SWMR-write flags
    return copy


def test_damaged_live_file_fails_fast_through_swmr(tmp_path):
    copy = running_copy(tmp_path)
    assert read_session(copy).status == "running"
    flip(copy, range(400, 405))  # metadata after the superblock: HDF5's default SWMR retries took minutes
    read_fails(copy, "damaged")


def test_fifo_and_folder_are_refused(tmp_path):
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    read_fails(fifo, "named pipe")
    read_fails(tmp_path, "folder")


def test_links_and_virtual_datasets_are_refused(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["x"] = np.arange(3.0)
    for kind in ("external", "soft", "virtual"):
        path = make_session(tmp_path / f"{kind}.h5")
        with h5py.File(path, "r+") as h5:
            if kind == "external":
                h5["acquisition/extra"] = h5py.ExternalLink(str(other), "x")
            elif kind == "soft":
                h5["acquisition/extra"] = h5py.SoftLink("/metadata/plan")
            else:
                layout = h5py.VirtualLayout(shape=(3,), dtype=float)
                layout[:] = h5py.VirtualSource(str(other), "x", shape=(3,))
                h5["acquisition"].create_virtual_dataset("extra", layout)
        read_fails(path, "ExternalLink|SoftLink|virtual dataset")


def rewrite(path, name, value):
    with h5py.File(path, "r+") as h5:
        if name in h5:
            del h5[name]
        h5[name] = value


@pytest.mark.parametrize("name, value, match", [
    ("acquisition/freq_hz", np.array([2.8e9, np.nan, 2.9e9]), "freq_hz holds non-finite"),
    ("acquisition/freq_hz", np.array([2.8e9, 2.7e9, 2.9e9]), "freq_hz does not increase"),
    ("acquisition/n_pairs", np.array([100, 0, 100], np.uint64), "n_pairs is 0 for a step marked done"),
    ("acquisition/n_pairs", np.array([100, 2**62, 100], np.uint64), "n_pairs holds values"),
    ("acquisition/n_pairs", np.array([1.5, 2, 3]), "n_pairs has dtype float64"),
    ("acquisition/dark_frame_adu", np.full(SHAPE, 4.3e11, np.float32), "dark_frame_adu holds values"),
    ("metadata/sample", '["not", "a dict"]', "metadata/sample holds a JSON list"),
    ("acquisition/journal/counts", np.zeros(2, np.int64), "journal/counts has shape"),
])
def test_implausible_values_name_the_dataset(tmp_path, name, value, match):
    """Files written before checksums (or edited): the checks on read name the dataset and the value."""
    path = make_session(tmp_path / "v.h5")
    rewrite(path, name, value)
    read_fails(path, match)


def test_flipped_byte_in_checksummed_dataset_is_detected(tmp_path):
    path = tmp_path / "d.h5"
    with SessionWriter.create(path, frame_shape=SHAPE, freq_hz=np.linspace(2.8e9, 2.9e9, 3), plan={},
                              instrument_settings={}, sample_metadata={},
                              dark_frame_adu=np.full(SHAPE, 99.6)) as writer:
        for step in range(3):
            writer.write_step(step, 0, np.full(SHAPE, 500), np.full(SHAPE, 600), 2, 0.0, 1.0)
    with h5py.File(path, "r") as h5:
        offset = h5["acquisition/dark_frame_adu"].id.get_offset()  # None for chunked; use the chunk's address
        offset = offset or h5["acquisition/dark_frame_adu"].id.get_chunk_info(0).byte_offset
    flip(path, [offset + 2])
    read_fails(path, "dark_frame_adu")


def test_cell_columns_of_different_lengths_are_refused(tmp_path):
    path = make_session(tmp_path / "c.h5")
    with h5py.File(path, "r+") as h5:
        cells = h5.create_group("analysis/cells")
        cells["x_m"] = np.zeros(3)
        cells["y_m"] = np.zeros(4)
        cells.attrs["column_order"] = '["x_m", "y_m"]'
    read_fails(path, "different lengths")


def test_huge_declared_shape_is_refused_before_allocating(tmp_path):
    path = make_session(tmp_path / "h.h5")
    with h5py.File(path, "r+") as h5:
        h5["truth"] = h5py.Empty("f")  # placeholder so the group exists
        del h5["truth"]
        h5.create_group("truth").create_dataset("big", shape=(2**20, 2**20), dtype="f8", chunks=(1, 1024))
    read_fails(path, "more than this computer can hold")


KILL_DURING_FIT = """
import os, signal, sys, h5py
f = h5py.File(sys.argv[1], "r+", libver=("v110", "v110"), locking="best-effort")
f.create_group("analysis/fit__incomplete")
f.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_file_of_a_killed_fit_is_recovered_with_hdf5s_mechanism(tmp_path):
    path = make_session(tmp_path / "k.h5")
    before = read_session(path)
    run = subprocess.run([sys.executable, "-c", KILL_DURING_FIT, str(path)], check=False)
    assert run.returncode == -signal.SIGKILL
    assert path.read_bytes()[11] & 0x01  # the stale "open for writing" mark
    with pytest.raises(SessionInUseError, match="nvscope recover"):
        read_session(path)
    result = recover_session(path)
    assert result == "finished" and result.flags_cleared and result.steps_kept == 3 == result.n_steps
    assert "3 of 3 steps" in result.message
    after = read_session(path)
    assert np.array_equal(after.on_sum, before.on_sum) and after.fit is None
    write_fit_results(path, {"f_minus_hz": np.full(SHAPE, 2.8e9)})  # results can be added again
    assert recover_session(path).flags_cleared is False


def test_recover_refuses_a_file_held_open_by_a_live_writer(tmp_path):
    path = make_session(tmp_path / "held.h5")
    holder = subprocess.Popen([sys.executable, "-c", "import h5py, sys, time\n"
                               "f = h5py.File(sys.argv[1], 'r+', libver=('v110', 'v110'))\n"
                               "print('open', flush=True); time.sleep(30)", str(path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(SessionInUseError, match="held open by a running program"):
            recover_session(path)
    finally:
        holder.kill()
        holder.wait()


def test_staging_files_never_follow_a_planted_link(tmp_path):
    path = make_session(tmp_path / "s.h5")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for name in ("s.h5.compact.tmp", "s.h5.tmp"):
        (tmp_path / name).symlink_to(victim)
    compact_session(path)
    with replacing(tmp_path / "report.txt") as tmp:
        with open(tmp, "w") as fh:
            fh.write("report")
    assert victim.read_text() == "keep me"
    assert (tmp_path / "report.txt").read_text() == "report"
    assert read_session(path).n_steps == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt", "s.h5", "s.h5.compact.tmp", "s.h5.tmp",
                                                         "victim.txt"]


def test_truncated_live_file_is_refused_within_the_probe_deadline(tmp_path):
    """A SWMR reader skips HDF5's length check, and HDF5 loops for ever on this file (measured): the
    child-process probe (tree._probe) bounds it."""
    from analysis.session.tree import LIVE_PROBE_S

    copy = running_copy(tmp_path)
    copy.write_bytes(copy.read_bytes()[:3000])
    start = time.monotonic()
    with pytest.raises(SessionFileError, match="damaged or truncated|did not finish"):
        read_session(copy)
    assert time.monotonic() - start < LIVE_PROBE_S + 3.0  # + a Python start-up on a loaded machine


def test_finished_file_on_which_hdf5_loops_is_refused_within_the_deadline(tmp_path):
    """Found by the fuzzer (benchmarks/fuzz_sessions.py, seed 0, input 975): one flipped byte in the global
    heap where the text attributes live makes HDF5 loop for ever on a plain (not SWMR) read."""
    from analysis.session.tree import PROBE_S

    path = make_session(tmp_path / "heap.h5")
    with h5py.File(path, "r") as h5:
        assert h5.attrs["file_kind"] == "nvscope-session"
    data = path.read_bytes()
    heap = data.index(b"GCOL")  # the global heap collection: signature, version, 3 reserved, 8-byte size
    damaged = bytearray(data)
    damaged[heap + 8:heap + 16] = (2**62).to_bytes(8, "little")
    path.write_bytes(bytes(damaged))
    start = time.monotonic()
    with pytest.raises(SessionFileError, match="damaged"):
        read_session(path)
    assert time.monotonic() - start < PROBE_S + 3.0


def test_a_file_this_process_added_results_to_is_not_probed_again(tmp_path, monkeypatch):
    from analysis.session import tree

    path = make_session(tmp_path / "p.h5")
    children = []
    run = tree.subprocess.run
    monkeypatch.setattr(tree.subprocess, "run", lambda *a, **k: children.append(a) or run(*a, **k))
    read_session(path)
    assert len(children) == 1  # the first open checks the file in a child process
    write_fit_results(path, {"f_minus_hz": np.full(SHAPE, 2.8e9)})
    assert read_session(path).fit is not None and len(children) == 1  # HDF5 wrote it here: still verified
    unseen = make_session(tmp_path / "q.h5")
    write_fit_results(unseen, {"f_minus_hz": np.full(SHAPE, 2.8e9)})  # never checked: the next open checks
    read_session(unseen)
    assert len(children) == 2
