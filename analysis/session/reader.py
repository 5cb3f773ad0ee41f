"""Reading session files: ``read_session`` (everything, any supported schema) and ``SessionReader`` (a
live view of a file an acquisition is writing, in this or another process, via HDF5 SWMR)."""

import os

import numpy as np

from .cells import cell_table_from_node
from .encoding import decode_array, from_json
from .errors import SessionFileError, SessionSchemaError
from .migrate import load_migrated_tree
from .scales import is_scale
from .schema import (
    ACQUISITION,
    ACQUISITION_ARRAYS,
    ACQUISITION_DATASETS,
    ALL_STATUSES,
    CELLS,
    DARK_FRAME,
    INCOMPLETE_SUFFIX,
    JOURNAL,
    JOURNAL_DATASETS,
    MAP_GROUPS,
    METADATA,
    METADATA_ITEMS,
    MODELS,
    ROOT_ATTRS,
    SCHEMA_VERSION,
    STATUS_DATASETS,
    STATUS_RUNNING,
    TRUTH,
    file_schema_version,
)
from .session import MapResult, Session, StepData
from .tree import H5_ERRORS, Leaf, Node, open_h5, read_attrs
from .validate import check_acquisition, check_dark_frame, check_frequencies, check_journal, check_metadata

# Builtin errors that parsing unexpected content could raise; read_session turns them into SessionFileError.
_CONTENT_ERRORS = (IndexError, AttributeError, KeyError, OverflowError, MemoryError, TypeError, ValueError,
                   UnicodeError)


def read_session(path):
    """Read a whole session file into a ``Session``. Works on finished files, on files being written
    (what is complete so far) and on files left by a killed writer (every completed step).

    Raises SessionFileError (not HDF5, truncated, damaged, not a session, parts missing) and
    SessionSchemaError (schema newer than this nvscope, or older without an upgrade)."""
    path = os.fspath(path)
    try:
        tree, file_version = load_migrated_tree(path)
        return session_from_tree(tree, path, file_version)
    except _CONTENT_ERRORS as exc:  # every known problem has its own message; this is the safety net
        raise SessionFileError(f"{path}: unexpected content ({type(exc).__name__}: {exc}); the file is damaged "
                               "or was not written by nvscope.") from exc


def _require(tree, path):
    missing = [f"root attribute {name}" for name in ROOT_ATTRS if name not in tree.attrs]
    wanted = [f"{METADATA}/{name}" for name in METADATA_ITEMS]
    wanted += [f"{ACQUISITION}/{name}" for name in ACQUISITION_DATASETS]
    wanted += [f"{JOURNAL}/{name}" for name in JOURNAL_DATASETS]
    missing += [f"/{name}" for name in wanted if not isinstance(tree.get(name), Leaf)]
    if missing:
        raise SessionFileError(
            f"{path}: the session file lacks {', '.join(missing)}; it is damaged or was not written by nvscope."
        )


def _text(data):
    if isinstance(data, bytes | np.bytes_):
        return data.decode("utf-8", "replace")
    return str(data)


def _json_leaf(tree, name, path):
    return from_json(tree.get(name).data, f"{path}: /{name}")


def _map_result(node, path, where):
    arrays, units = {}, {}
    for name, member in node.members.items():
        if isinstance(member, Leaf) and not is_scale(member.attrs):  # coordinates (y_m, x_m) are not results
            arrays[name] = decode_array(member.data, member.attrs)
            units[name] = member.attrs.get("units", "")
    settings = from_json(node.attrs.get("settings_json", "{}"), f"{path}: /{where} settings_json")
    return MapResult(arrays=arrays, units=units, settings=settings)


def apply_journal(acq, journal, path):
    """If the writer died while replacing a step's totals, the journal holds the complete new totals of
    that step: put them in place (in memory). ``acq`` maps dataset name -> array and is changed."""
    step = int(np.asarray(journal["step_index"]).reshape(-1)[0])
    if step < 0:
        return
    if step >= acq["freq_hz"].shape[0]:
        raise SessionFileError(f"{path}: the step journal names step {step}, beyond the sweep; damaged file.")
    if journal["on_sum"].shape != acq["on_sum"].shape[1:] or journal["off_sum"].shape != journal["on_sum"].shape:
        raise SessionFileError(f"{path}: the step journal's sums have shape {journal['on_sum'].shape}, not the "
                               f"frame shape {acq['on_sum'].shape[1:]}; damaged file.")
    n_pairs, n_sweeps, sweep_index = (int(v) for v in journal["counts"])
    acq["on_sum"][step] = journal["on_sum"]
    acq["off_sum"][step] = journal["off_sum"]
    acq["n_pairs"][step] = n_pairs
    acq["n_sweeps"][step] = n_sweeps
    acq["last_sweep_index"][step] = sweep_index
    acq["step_done"][step] = True
    acq["t_start_s"][step], acq["t_end_s"][step] = journal["times_s"]


def session_from_tree(tree, path, file_version):
    """Build a Session from a tree in the current schema (after migrate_tree)."""
    _require(tree, path)
    acq = {name: np.array(tree.get(f"{ACQUISITION}/{name}").data) for name in ACQUISITION_ARRAYS}
    if acq["on_sum"].ndim != 3 or acq["freq_hz"].ndim != 1:
        raise SessionFileError(f"{path}: /{ACQUISITION}/on_sum has shape {acq['on_sum'].shape} and freq_hz "
                               f"{acq['freq_hz'].shape}, expected (n_steps, n_rows, n_cols) and (n_steps,); damaged.")
    run = {name: _text(tree.get(f"{ACQUISITION}/{name}").data) for name in STATUS_DATASETS}
    acq["step_done"] = acq["step_done"].astype(bool)
    journal = {name: np.asarray(tree.get(f"{JOURNAL}/{name}").data) for name in JOURNAL_DATASETS}
    n_steps = acq["freq_hz"].shape[0]
    frame = acq["on_sum"].shape[1:]
    for name, array in acq.items():
        expected = (n_steps, *frame) if name in ("on_sum", "off_sum") else (n_steps,)
        if array.shape != expected:
            raise SessionFileError(f"{path}: /{ACQUISITION}/{name} has shape {array.shape}, expected "
                                   f"{expected}; the file is damaged.")
    check_journal(journal, frame, path)
    if run["status"] == STATUS_RUNNING:
        # A file being written is read dataset by dataset while the writer goes on: the step flags may already
        # show a step whose counters this read got before they were written. That step is simply not done yet.
        acq["step_done"] &= acq["n_pairs"] > 0
    check_acquisition(acq, path)
    apply_journal(acq, journal, path)
    attrs = tree.attrs
    if run["status"] not in ALL_STATUSES:
        raise SessionFileError(f"{path}: /{ACQUISITION}/status is {run['status']!r}, not one of {ALL_STATUSES}.")
    maps = {}
    for key, where in MAP_GROUPS.items():
        node = tree.get(where)
        maps[key] = _map_result(node, path, where) if isinstance(node, Node) else None
    cells_node = tree.get(CELLS)
    cells = cell_table_from_node(cells_node, path, from_json) if isinstance(cells_node, Node) else None
    models = {}
    models_node = tree.get(MODELS)
    if isinstance(models_node, Node):
        for sha, node in models_node.members.items():
            if (isinstance(node, Node) and isinstance(node.get("model_card"), Leaf)
                    and not sha.endswith(INCOMPLETE_SUFFIX)):
                models[sha] = from_json(node.get("model_card").data, f"{path}: /{MODELS}/{sha}/model_card")
    truth, truth_units = None, {}
    truth_node = tree.get(TRUTH)
    if isinstance(truth_node, Node):
        truth = {}
        for name, leaf in truth_node.members.items():
            if not isinstance(leaf, Leaf) or name.endswith(INCOMPLETE_SUFFIX) or is_scale(leaf.attrs):
                continue
            if leaf.attrs.get("encoding") == "json":
                truth[name] = from_json(leaf.data, f"{path}: /{TRUTH}/{name}")
            else:
                truth[name] = decode_array(leaf.data, leaf.attrs)
                truth_units[name] = leaf.attrs.get("units", "")
    dark_leaf = tree.get(f"{ACQUISITION}/{DARK_FRAME}")
    dark_frame = None
    if isinstance(dark_leaf, Leaf):
        check_dark_frame(np.asarray(dark_leaf.data), frame, path)
        dark_frame = np.array(dark_leaf.data, dtype=np.float64)
    metadata = {name: _json_leaf(tree, f"{METADATA}/{name}", path) for name in METADATA_ITEMS}
    check_metadata(metadata, path)
    return Session(
        path=path, schema_version=file_version, app_version=str(attrs["app_version"]),
        created_utc=str(attrs["created_utc"]), **run,
        instrument_settings=metadata["instrument_settings"], plan=metadata["plan"],
        sample_metadata=metadata["sample"],
        **acq, **maps, cells=cells, models=models, truth=truth, truth_units=truth_units,
        dark_frame_adu=dark_frame,
    )


class SessionReader:
    """A live, read-only view of a session file, cheap to poll while another process acquires into it.

    >>> with SessionReader(path) as reader:
    ...     reader.refresh(); done = reader.step_done(); step = reader.read_step(3)

    Reads through HDF5 SWMR, so the writer never has to stop. A step being re-written (a later sweep
    added) may read as its old or new totals until the next refresh; once the writer has finished (or
    died), reads are exact. Only the current schema is read live; use read_session for older files.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = open_h5(self.path, "r", probe=False)  # a live writer's file: no child-process check
        try:
            version = file_schema_version(read_attrs(self._file), self.path)
            if version != SCHEMA_VERSION:
                raise SessionSchemaError(f"{self.path}: schema {version} files are read with read_session().")
            self._acq = {name: self._file[f"{ACQUISITION}/{name}"] for name in ACQUISITION_DATASETS}
            self._journal = {name: self._file[f"{JOURNAL}/{name}"] for name in JOURNAL_DATASETS}
            self.freq_hz = self._acq["freq_hz"][()]
            check_frequencies(self.freq_hz, self._acq["window_index"][()], self.path)
            self.frame_shape = tuple(int(n) for n in self._acq["on_sum"].shape[1:])
            dark = self._file[ACQUISITION].get(DARK_FRAME)
            if dark is not None:
                check_dark_frame(np.asarray(dark[()]), self.frame_shape, self.path)
            self.dark_frame_adu = None if dark is None else np.asarray(dark[()], dtype=np.float64)
        except (*H5_ERRORS, *_CONTENT_ERRORS) as exc:
            self._file.close()
            raise SessionFileError(f"{self.path}: the acquisition part cannot be read ({exc}).") from exc
        except SessionFileError:
            self._file.close()
            raise
        self._small = {}
        self.refresh()

    @property
    def n_steps(self):
        return int(self.freq_hz.shape[0])

    def refresh(self):
        """Fetch what the writer has flushed since the last refresh (per-step counters and journal)."""
        try:
            small = {}
            for name in ("n_pairs", "n_sweeps", "last_sweep_index", "step_done", "t_start_s", "t_end_s"):
                self._acq[name].refresh()
                small[name] = self._acq[name][()]
            for dataset in self._journal.values():
                dataset.refresh()
            small["journal_step"] = int(self._journal["step_index"][0])
        except (*H5_ERRORS, *_CONTENT_ERRORS) as exc:
            raise SessionFileError(f"{self.path}: reading the step counters failed ({exc}).") from exc
        self._small = small

    def step_done(self):
        """Boolean mask (n_steps,) of the steps that hold at least one complete sweep (as of refresh())."""
        done = self._small["step_done"].astype(bool)
        if self._small["journal_step"] >= 0:
            done[self._small["journal_step"]] = True
        return done

    @property
    def n_steps_completed(self):
        return int(np.count_nonzero(self.step_done()))

    @property
    def status(self):
        """The run status now: 'running' until the writer finishes (see Session.status)."""
        try:
            dataset = self._file[f"{ACQUISITION}/status"]
            dataset.refresh()
            return _text(dataset[()])
        except (*H5_ERRORS, *_CONTENT_ERRORS) as exc:
            raise SessionFileError(f"{self.path}: reading the run status failed ({exc}).") from exc

    def read_step(self, step_index):
        """The stored totals of one step (as of refresh()); on_sum/off_sum read now."""
        if not 0 <= step_index < self.n_steps:
            raise IndexError(f"step_index {step_index} is outside 0..{self.n_steps - 1}.")
        s = self._small
        try:
            if s["journal_step"] == step_index:
                on, off = self._journal["on_sum"][()], self._journal["off_sum"][()]
                n_pairs, n_sweeps, last = (int(v) for v in self._journal["counts"][()])
                t_start, t_end = (float(v) for v in self._journal["times_s"][()])
            else:
                for name in ("on_sum", "off_sum"):
                    self._acq[name].refresh()
                on, off = self._acq["on_sum"][step_index], self._acq["off_sum"][step_index]
                n_pairs, n_sweeps = int(s["n_pairs"][step_index]), int(s["n_sweeps"][step_index])
                last = int(s["last_sweep_index"][step_index])
                t_start, t_end = float(s["t_start_s"][step_index]), float(s["t_end_s"][step_index])
        except (*H5_ERRORS, *_CONTENT_ERRORS) as exc:
            raise SessionFileError(f"{self.path}: reading step {step_index} failed ({exc}).") from exc
        return StepData(step_index=step_index, freq_hz=float(self.freq_hz[step_index]), on_sum=on, off_sum=off,
                        n_pairs=n_pairs, n_sweeps=n_sweeps, last_sweep_index=last, t_start_s=t_start,
                        t_end_s=t_end, dark_frame_adu=self.dark_frame_adu)

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
