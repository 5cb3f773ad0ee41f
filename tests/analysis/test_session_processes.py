"""Session files across real processes: a live SWMR reader while another process writes, and writers
killed with SIGKILL (between steps and in the middle of replacing a step), then recovery."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from analysis.session import (
    SessionInUseError,
    SessionReader,
    SessionWriter,
    read_session,
    recover_session,
    write_fit_results,
)
from analysis.session.superblock import lookup3_hash

ROOT = Path(__file__).resolve().parents[2]
SHAPE = (12, 10)  # not square, so a transposition would show
N_STEPS = 6
N_PAIRS = 4
T0_S = 1.7e9

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")


def sweep_frames(step, sweep):
    """The deterministic on/off sums a test writer adds for (step, sweep): 4 pairs of ~20000 ADU frames."""
    rng = np.random.default_rng(1000 * sweep + step)
    off = rng.poisson(N_PAIRS * 20000.0, SHAPE).astype(np.uint32)
    on = rng.poisson(N_PAIRS * 19800.0, SHAPE).astype(np.uint32)
    return on, off


def write_times(write_number):
    return T0_S + 10.0 * write_number, T0_S + 10.0 * write_number + 2.5


def run_writer(path, n_sweeps, sleep_s, crash_step=None, crash_sweep=None):
    """Child process body: create a session, write n_sweeps x N_STEPS steps (printing one line per step),
    finish. With crash_step/crash_sweep: die by SIGKILL half-way through replacing that step's sums."""
    if crash_step is not None:
        store_sums = SessionWriter._store_sums

        def crashing_store_sums(self, step, on, off):
            if step == crash_step and self._counters["n_sweeps"][step] == crash_sweep:
                self._acq["on_sum"][step] = np.zeros(SHAPE, np.uint64)  # half-replaced, torn step
                self._file.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            store_sums(self, step, on, off)

        SessionWriter._store_sums = crashing_store_sums
    writer = SessionWriter.create(path, frame_shape=SHAPE, freq_hz=np.linspace(2.80e9, 2.81e9, N_STEPS),
                                  plan={"pairs_per_step": N_PAIRS, "sweeps": n_sweeps},
                                  instrument_settings={"camera": {"exposure_s": 0.01}},
                                  sample_metadata={"name": "subprocess test"}, app_version="test")
    print("created", flush=True)
    write_number = 0
    for sweep in range(n_sweeps):
        for step in range(N_STEPS):
            on, off = sweep_frames(step, sweep)
            writer.write_step(step, sweep, on, off, N_PAIRS, *write_times(write_number))
            print(f"wrote {step} {sweep}", flush=True)
            write_number += 1
            time.sleep(sleep_s)
    writer.finish("finished")
    print("finished", flush=True)


def expected_after(n_writes):
    """What the file must hold after the first n_writes writes (sweep-major order)."""
    on = np.zeros((N_STEPS, *SHAPE), np.uint64)
    off = np.zeros((N_STEPS, *SHAPE), np.uint64)
    n_sweeps = np.zeros(N_STEPS, np.uint32)
    t_start = np.full(N_STEPS, np.nan)
    t_end = np.full(N_STEPS, np.nan)
    for k in range(n_writes):
        sweep, step = divmod(k, N_STEPS)
        on_k, off_k = sweep_frames(step, sweep)
        on[step] += on_k
        off[step] += off_k
        n_sweeps[step] += 1
        t_start[step], t_end[step] = write_times(k)
    return {"on_sum": on, "off_sum": off, "n_sweeps": n_sweeps, "n_pairs": n_sweeps.astype(np.uint64) * N_PAIRS,
            "last_sweep_index": n_sweeps.astype(np.int64) - 1, "step_done": n_sweeps > 0,
            "t_start_s": t_start, "t_end_s": t_end}


def assert_holds(session, expected):
    for name, value in expected.items():
        stored = getattr(session, name)
        assert stored.dtype == value.dtype, name
        assert np.array_equal(stored, value, equal_nan=stored.dtype.kind == "f"), name


def start_writer(path, n_sweeps, sleep_s, crash_step=None, crash_sweep=None):
    code = ("from tests.analysis.test_session_processes import run_writer; "
            f"run_writer({str(path)!r}, {n_sweeps}, {sleep_s}, {crash_step!r}, {crash_sweep!r})")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def read_lines(process, n):
    lines = []
    while len(lines) < n:
        line = process.stdout.readline()
        if not line:
            process.wait(10)
            raise AssertionError(f"writer exited early after {lines}: {process.stderr.read()}")
        lines.append(line.strip())
    return lines


def test_reader_in_another_process_sees_steps_grow(tmp_path):
    path = tmp_path / "live.h5"
    writer = start_writer(path, n_sweeps=2, sleep_s=0.1)
    possible = [expected_after(0), expected_after(N_STEPS), expected_after(2 * N_STEPS)]  # 0, 1, 2 sweeps
    try:
        read_lines(writer, 2)  # created + the first step
        seen, sweeps_seen = [], set()
        with SessionReader(path) as reader:
            while writer.poll() is None or not seen or seen[-1] < N_STEPS:
                reader.refresh()
                seen.append(reader.n_steps_completed)
                for step in np.flatnonzero(reader.step_done()):
                    data = reader.read_step(int(step))
                    sweeps_seen.add(data.n_sweeps)
                    # A step being re-written may read as its old or new totals (see SessionReader), but
                    # never as anything else.
                    for name in ("on_sum", "off_sum"):
                        assert any(np.array_equal(getattr(data, name), p[name][step]) for p in possible[1:])
                    assert data.n_pairs == N_PAIRS * data.n_sweeps
                time.sleep(0.03)
                assert len(seen) < 2000, "writer never completed"
            assert writer.wait(10) == 0, writer.stderr.read()
            assert reader.status == "finished"  # the live reader sees the final status too
    finally:
        writer.kill()
        writer.wait()
    assert seen == sorted(seen), "the number of completed steps went down"
    assert len(set(seen)) >= 4, f"the reader saw too few intermediate states: {sorted(set(seen))}"
    assert seen[-1] == N_STEPS and sweeps_seen == {1, 2}
    # The writer recorded its final status and compacted the file while our SWMR reader had it open.
    session = read_session(path)
    assert session.status == "finished"
    assert_holds(session, expected_after(2 * N_STEPS))


def test_sigkill_mid_sweep_keeps_every_completed_step(tmp_path):
    path = tmp_path / "killed.h5"
    writer = start_writer(path, n_sweeps=3, sleep_s=0.1)
    wait_for = N_STEPS + 3  # into the second sweep, where steps are replaced through the journal
    try:
        read_lines(writer, 1 + wait_for)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    session = read_session(path)
    n_written = int(session.n_sweeps.sum())
    # The kill lands in the sleep after the announced write (or, on a busy machine, a write or two later);
    # whatever the moment, the file must hold exactly the writes completed before it.
    assert wait_for <= n_written < 3 * N_STEPS
    assert session.status == "running"
    assert session.is_running_or_interrupted
    assert_holds(session, expected_after(n_written))

    # Recovery, also for a writer that had reserved space it never wrote (stored end of file > size).
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        head = bytearray(fh.read(48))
        head[28:36] = (size + 4096).to_bytes(8, "little")
        head[44:48] = lookup3_hash(bytes(head[:44])).to_bytes(4, "little")
        fh.seek(0)
        fh.write(head)
    assert recover_session(path) == "interrupted"  # needs the padding: HDF5 refuses files short of their end
    assert path.stat().st_size < size  # and compacted: the replaced steps' old chunks are gone
    with h5py.File(path, "r") as raw:  # no SWMR needed any more: an ordinary HDF5 file
        assert raw["acquisition/step_done"][()].sum() == N_STEPS
    session = read_session(path)
    assert session.status == "interrupted"
    assert_holds(session, expected_after(n_written))
    assert recover_session(path) == "interrupted"  # a second call changes nothing


def test_sigkill_while_replacing_a_step_uses_the_journal(tmp_path):
    path = tmp_path / "torn.h5"
    crash_step, crash_sweep = 2, 1
    writer = start_writer(path, n_sweeps=2, sleep_s=0.0, crash_step=crash_step, crash_sweep=crash_sweep)
    try:
        writer.wait(30)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    n_written = N_STEPS + crash_step + 1  # the crashing write had committed its journal
    expected = expected_after(n_written)
    with h5py.File(path, "r", swmr=True) as raw:  # the main array really is torn for that step
        assert not raw["acquisition/on_sum"][crash_step].any()
        assert raw["acquisition/journal/step_index"][0] == crash_step
    assert_holds(read_session(path), expected)
    with SessionReader(path) as reader:
        step = reader.read_step(crash_step)
        assert np.array_equal(step.on_sum, expected["on_sum"][crash_step])
        assert step.n_sweeps == 2

    assert recover_session(path, force=False) == "interrupted"
    # Now an ordinary HDF5 file (no SWMR flags), the torn step repaired in place from the journal.
    with h5py.File(path, "r") as raw:
        assert np.array_equal(raw["acquisition/on_sum"][()], expected["on_sum"])
        assert raw["acquisition/journal/step_index"][0] == -1
    session = read_session(path)
    assert session.status == "interrupted"
    assert f"{N_STEPS} of {N_STEPS} steps" in session.status_reason
    assert_holds(session, expected)
    write_fit_results(path, {"f_minus_hz": np.full(SHAPE, 2.805e9)})  # results can now be added
    assert read_session(path).fit.units == {"f_minus_hz": "Hz"}


def test_recover_refuses_while_the_writer_lives(tmp_path):
    path = tmp_path / "alive.h5"
    writer = start_writer(path, n_sweeps=1, sleep_s=2.0)
    try:
        read_lines(writer, 2)
        with pytest.raises(SessionInUseError, match=rf"process {writer.pid}\) is still running"):
            recover_session(path)
        with pytest.raises(SessionInUseError, match="open for writing by an acquisition"):
            write_fit_results(path, {"f_minus_hz": np.zeros(SHAPE)})
    finally:
        writer.kill()
        writer.wait()
    assert read_session(path).n_steps_completed >= 1


def test_results_are_not_written_while_another_program_reads(tmp_path):
    path = tmp_path / "shared.h5"
    writer = start_writer(path, n_sweeps=1, sleep_s=0.0)
    assert writer.wait(30) == 0, writer.stderr.read()
    code = ("import sys, time; from analysis.session import SessionReader; "
            f"r = SessionReader({str(path)!r}); print('open', flush=True); time.sleep(30)")
    reader = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(SessionInUseError, match="open in another program"):
            write_fit_results(path, {"f_minus_hz": np.zeros(SHAPE)})
    finally:
        reader.kill()
        reader.wait()
    write_fit_results(path, {"f_minus_hz": np.zeros(SHAPE)})  # once the other program has let go
