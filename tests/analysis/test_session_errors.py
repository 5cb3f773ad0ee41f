"""Files that cannot be read as they are: future and old schemas, damaged files, other HDF5 files. Each
gives a SessionFileError that names the file and the problem (the h5py error is only its cause)."""

import re

import h5py
import numpy as np
import pytest

from analysis.session import (
    MIGRATIONS,
    SessionFileError,
    SessionReader,
    SessionSchemaError,
    SessionWriter,
    migrate_session,
    read_session,
    write_fit_results,
)
from analysis.session.superblock import lookup3_hash
from analysis.session.tree import Leaf, Node

SHAPE = (8, 6)


def make_session(path, n_steps=3):
    rng = np.random.default_rng(1)
    with SessionWriter.create(path, frame_shape=SHAPE, freq_hz=np.linspace(2.8e9, 2.9e9, n_steps), plan={},
                              instrument_settings={}, sample_metadata={"name": "x"}) as writer:
        for step in range(n_steps):
            on = rng.poisson(2.0e6, SHAPE)
            writer.write_step(step, 0, on, on + 5, 100, 0.0, 1.0)
    return path


def test_future_schema_says_update(tmp_path):
    path = make_session(tmp_path / "future.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = 7
    message = re.escape("file schema 7 is newer than this nvscope (reads up to 1): update nvscope")
    with pytest.raises(SessionSchemaError, match=message) as info:
        read_session(path)
    assert str(path) in str(info.value)
    with pytest.raises(SessionSchemaError, match=message):
        SessionReader(path)
    with pytest.raises(SessionSchemaError, match=message):
        write_fit_results(path, {"f_minus_hz": np.zeros(SHAPE)})


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_not_hdf5_or_truncated(tmp_path, damage):
    path = make_session(tmp_path / f"{damage}.h5")
    data = path.read_bytes()
    path.write_bytes({"garbage": b"this is not HDF5 at all" * 100, "truncated": data[: len(data) // 2],
                      "empty": b""}[damage])
    expected = {"garbage": "cannot be read as an HDF5 file", "empty": "cannot be read as an HDF5 file",
                "truncated": "is truncated: it has"}[damage]
    with pytest.raises(SessionFileError, match=expected) as info:
        read_session(path)
    assert str(path) in str(info.value)
    if damage != "truncated":
        assert isinstance(info.value.__cause__, OSError)  # h5py's own error kept as the cause


def test_damaged_frame_data_is_detected(tmp_path):
    path = make_session(tmp_path / "bitrot.h5")
    with h5py.File(path, "r") as f:
        chunk = f["acquisition/on_sum"].id.get_chunk_info(1)
    with open(path, "r+b") as fh:
        fh.seek(chunk.byte_offset + chunk.size // 2)
        fh.write(b"\x00\xff" * 8)
    with pytest.raises(SessionFileError, match=r"reading /acquisition/on_sum failed .*damaged") as info:
        read_session(path)
    assert str(path) in str(info.value)


def test_other_hdf5_file_and_missing_parts(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(SessionFileError, match="not an nvscope session"):
        read_session(other)
    path = make_session(tmp_path / "missing.h5")
    with h5py.File(path, "r+") as f:
        del f["acquisition/journal"]
        del f["metadata/plan"]
    with pytest.raises(SessionFileError, match=r"lacks /metadata/plan, .*/acquisition/journal/step_index"):
        read_session(path)
    with pytest.raises(SessionFileError, match="does not exist"):
        read_session(tmp_path / "nothing.h5")


def test_inconsistent_shapes_are_reported(tmp_path):
    path = make_session(tmp_path / "shapes.h5")
    with h5py.File(path, "r+") as f:
        del f["acquisition/n_pairs"]
        f["acquisition/n_pairs"] = np.zeros(2, np.uint64)
    with pytest.raises(SessionFileError, match=r"n_pairs has shape \(2,\), expected \(3,\)"):
        read_session(path)


# A hand-made file in an older layout ("version 0": the sums at /sweep, no per-step bookkeeping, all steps
# complete). Schema 0 was never released; it stands for the next real layout change.
def make_version0_file(path, with_pairs=True):
    rng = np.random.default_rng(2)
    on = rng.integers(0, 10**7, (4, *SHAPE)).astype(np.uint64)
    off = rng.integers(0, 10**7, (4, *SHAPE)).astype(np.uint64)
    with h5py.File(path, "w") as f:
        f.attrs.update({"file_kind": "nvscope-session", "schema_version": 0, "app_version": "0.0.1",
                        "created_utc": "2025-01-01T00:00:00+00:00"})
        sweep = f.create_group("sweep")
        sweep["freq_hz"] = np.linspace(2.8e9, 2.9e9, 4)
        sweep["on_sum"], sweep["off_sum"] = on, off
        if with_pairs:
            sweep["n_pairs"] = np.full(4, 300, np.int32)
        sweep.attrs["settings"] = '{"rf": {"power_dbm": -5}}'
    return on, off


def upgrade_version0(tree, path):
    """Schema 0 -> 1: what a real entry in MIGRATIONS looks like."""
    sweep = tree.members.pop("sweep")
    n = sweep.members["freq_hz"].data.shape[0]
    pairs = sweep.members["n_pairs"].data.astype(np.uint64)  # KeyError if absent: the upgrade says so
    frame = sweep.members["on_sum"].data.shape[1:]
    acq = Node(members={
        "freq_hz": sweep.members["freq_hz"], "window_index": Leaf(np.zeros(n, np.int32)),
        "on_sum": sweep.members["on_sum"], "off_sum": sweep.members["off_sum"], "n_pairs": Leaf(pairs),
        "n_sweeps": Leaf(np.ones(n, np.uint32)), "last_sweep_index": Leaf(np.zeros(n, np.int64)),
        "step_done": Leaf(np.ones(n, np.uint8)), "t_start_s": Leaf(np.full(n, np.nan)),
        "t_end_s": Leaf(np.full(n, np.nan)), "status": Leaf("finished"), "status_reason": Leaf(""),
        "finished_utc": Leaf(""),
        "journal": Node(members={"step_index": Leaf(np.array([-1])), "on_sum": Leaf(np.zeros(frame, np.uint64)),
                                 "off_sum": Leaf(np.zeros(frame, np.uint64)), "counts": Leaf(np.zeros(3)),
                                 "times_s": Leaf(np.zeros(2))})})
    tree.members["acquisition"] = acq
    tree.members["metadata"] = Node(members={"instrument_settings": Leaf(sweep.attrs["settings"]),
                                             "plan": Leaf("{}"), "sample": Leaf("{}")})
    tree.attrs.update({"writer_host": "", "writer_pid": -1})
    return tree


def test_older_schema_without_upgrade_is_refused_with_reason(tmp_path):
    path = tmp_path / "v0.h5"
    make_version0_file(path)
    with pytest.raises(SessionSchemaError, match=r"file schema 0 is older than this nvscope can read .*0\.0\.1"):
        read_session(path)


def test_older_schema_is_read_through_the_migration_hook(tmp_path, monkeypatch):
    monkeypatch.setitem(MIGRATIONS, 0, upgrade_version0)
    path = tmp_path / "v0.h5"
    on, off = make_version0_file(path)
    session = read_session(path)
    assert session.schema_version == 0  # as stored; the content is upgraded in memory
    assert np.array_equal(session.on_sum, on) and np.array_equal(session.off_sum, off)
    assert session.n_pairs.tolist() == [300] * 4 and session.step_done.all()
    assert session.instrument_settings == {"rf": {"power_dbm": -5}}
    with h5py.File(path, "r") as f:  # reading changed nothing on disk
        assert f.attrs["schema_version"] == 0 and "sweep" in f

    copy = tmp_path / "v1.h5"
    assert migrate_session(path, copy) == 0
    monkeypatch.delitem(MIGRATIONS, 0)
    upgraded = read_session(copy)  # a current file now, readable without the hook
    assert upgraded.schema_version == 1
    assert np.array_equal(upgraded.on_sum, on) and upgraded.on_sum.dtype == np.uint64
    write_fit_results(copy, {"f_minus_hz": np.zeros(SHAPE)})


def test_older_file_missing_data_is_refused_with_reason(tmp_path, monkeypatch):
    monkeypatch.setitem(MIGRATIONS, 0, upgrade_version0)
    path = tmp_path / "v0-broken.h5"
    make_version0_file(path, with_pairs=False)
    with pytest.raises(SessionFileError, match=r"upgrading from schema 0 to 1 failed: KeyError\('n_pairs'\)"):
        read_session(path)


def test_migrate_session_copies_a_current_file_exactly(tmp_path):
    path = make_session(tmp_path / "orig.h5")
    write_fit_results(path, {"f_minus_hz": np.arange(48.0).reshape(SHAPE)})
    write_fit_results(path, {"f_minus_hz": np.arange(48.0).reshape(SHAPE) + 1})
    copy = tmp_path / "copy.h5"
    assert migrate_session(path, copy) == 1
    a, b = read_session(path), read_session(copy)
    for name in ("on_sum", "off_sum", "n_pairs", "freq_hz", "t_start_s"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert np.array_equal(a.fit["f_minus_hz"], b.fit["f_minus_hz"]) and a.status == b.status
    with pytest.raises(FileExistsError):
        migrate_session(path, copy)


def test_superblock_checksum_matches_lookup3_reference_values():
    # Published test values of Bob Jenkins' lookup3.c (driver5) and HDF5's checksum of an empty buffer.
    assert lookup3_hash(b"") == 0xDEADBEEF
    assert lookup3_hash(b"Four score and seven years ago") == 0x17770551
    assert lookup3_hash(b"Four score and seven years ago", 1) == 0xCD628161
