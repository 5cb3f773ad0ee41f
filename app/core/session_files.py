"""``SessionBackend`` over ``analysis.session``: every acquisition is written to its session file as it runs
(``SessionWriter``); the maps and the cell table the window shows are added to the finished file under the
names the headless pipeline (``analysis.pipeline.fit_session_file``) uses, so a file looks the same whichever
of the two analysed it; review mode reads it back with ``read_session``.
"""

import json
import os
import shutil

import numpy as np

from analysis import session as sessions
from analysis.pipeline import fit_session_file, session_maps, write_session_maps
from app.core.cells import cell_record, cell_record_columns
from app.core.simulated_sample import truth_of
from app.version import APP_VERSION

SESSION_SUFFIX = ".h5"


def instrument_settings_of(backend):
    """What the session records about the instruments: the configuration's sections when the backend has one,
    else its description (JSON-able: anything odd becomes text)."""
    settings = {"description": backend.description,
                "mock": {name: backend.is_mock(name) for name in ("camera", "rf", "shutter")}}
    config = getattr(backend, "config", None)
    for name in ("camera", "rf", "shutter"):
        section = getattr(config, name, None)
        if section is not None:
            settings[name] = vars(section)
    return json.loads(json.dumps(settings, default=str))


def with_calibration(sample_metadata, calibration):
    """The sample metadata a new session records: ``calibration.to_attributes()`` under ``calibration`` (pixel
    size with the camera's binning applied, NV axis, image orientation, where it came from) and its binned
    ``pixel_size_m`` beside it for older readers. Every writer of a session (GUI, ``nvscope acquire``,
    ``nvscope simulate-study``) goes through here, so no session is written without a calibration."""
    return {**(sample_metadata or {}), "pixel_size_m": float(calibration.pixel_size_m),
            "calibration": calibration.to_attributes()}


def simulated_truth(backend):
    """A callable giving the simulated sample's ground truth (``simulated_sample.truth_of``) when every instrument
    is a mock on a virtual microscope, else None."""
    microscope = backend.microscope
    if microscope is None or not all(backend.is_mock(n) for n in ("camera", "rf", "shutter")):
        return None
    return lambda: truth_of(microscope)


class H5Sessions:
    """``files``: an ``app.core.file_process.FileProcess`` to write through (HDF5 compression then never holds the
    window's GIL), or None to write in the calling thread."""

    def __init__(self, files=None):
        self.files = files

    def start(self):
        if self.files is not None:
            self.files.start()

    def close(self):
        if self.files is not None:
            self.files.close()

    def _call(self, function, /, *args, **kwargs):
        if self.files is not None:
            return self.files.call(function, *args, **kwargs)
        if function == "write_session_maps":
            return write_session_maps(*args, **kwargs)
        return getattr(sessions, function)(*args, **kwargs)

    def session_factory(self, path, plan, *, freq_windows_hz, instrument_settings, sample_metadata, truth=None,
                        overwrite=False):
        """``truth`` may be a callable: it is then called in the engine's thread when the file is created (the
        simulated truth takes a while to compute; the GUI thread should not). ``overwrite``: replace an existing
        file (``nvscope acquire --force``); the GUI never does."""
        path = os.fspath(path)
        if os.path.exists(path) and not overwrite:
            raise sessions.SessionExistsError(f"{path} exists; a session is never replaced. Choose another file "
                                              "(Session panel: Save to…) or leave it empty for a new name.")
        plan_dict = plan.to_dict()

        def create(frame_shape, dark_frame_adu):
            kwargs = dict(path=path, frame_shape=tuple(frame_shape),
                          freq_hz=[np.asarray(f, dtype=np.float64) for f in freq_windows_hz], plan=plan_dict,
                          instrument_settings=instrument_settings, sample_metadata=sample_metadata,
                          truth=truth() if callable(truth) else truth, app_version=APP_VERSION,
                          dark_frame_adu=dark_frame_adu, overwrite=overwrite)
            if self.files is not None:
                return self.files.create_writer(**kwargs)
            return sessions.SessionWriter.create(**kwargs)

        return create

    def write_field_maps(self, path, maps, pixel_size_m):
        """Store the maps the window showed (a live fit's ``FieldMaps``), named as ``nvscope fit`` names them.
        ``pixel_size_m`` is the calibration's (camera binning applied); the maps' own ``binning`` stays 1: the
        live fit does not bin pixels (``analyse_session_cells`` multiplies the calibration by it)."""
        groups = session_maps(maps.fit.to_arrays(), maps.fit.attributes(), maps.n_steps_used, maps.d_hz,
                              maps.background_t, maps.background_info, maps.b_nv_t, maps.fit.b_nv_err_t,
                              maps.residual_t, pixel_size_m,
                              written_by="nvscope GUI (the maps it showed)")
        self._call("write_session_maps", path, groups)

    def write_cells(self, path, rows, models):
        records = same_fields([cell_record(r) for r in rows])
        if not records:  # an empty table still says which columns a table has
            records = {name: np.zeros(0) for name in cell_record_columns()}
            records.update(flag=np.zeros(0, dtype=np.int64), flag_names=np.array([], dtype=object),
                           label=np.array([], dtype=object), model_sha256=np.array([], dtype=object),
                           usable=np.zeros(0, dtype=bool), usable_reason=np.array([], dtype=object),
                           cnn_note=np.array([], dtype=object))
        snippets = sessions.stack_cell_snippets([{"measured_t": r.measured_t, "model_t": r.model_t,
                                                  "residual_t": r.residual_t} for r in rows])
        self._call("write_cells", path, records, models=models or None, settings={"written_by": "nvscope GUI"},
                   snippets=snippets)

    def fit_session(self, path):
        """Fit the whole session file again (``analysis.pipeline.fit_session_file``: fit, background, field maps
        into the file), in the file process when there is one."""
        if self.files is not None:
            return self.files.call("fit_session_file", path)
        return fit_session_file(path)

    def update_sample_metadata(self, path, **fields):
        return self._call("update_sample_metadata", path, **fields)

    def save_as(self, source, destination):
        source, destination = os.fspath(source), os.fspath(destination)
        if os.path.abspath(source) == os.path.abspath(destination):
            return destination
        if os.path.exists(destination):
            raise sessions.SessionExistsError(f"{destination} exists; a session is never replaced. Choose "
                                              "another name.")
        shutil.copy2(source, destination)
        return destination

    def open(self, path):
        return sessions.read_session(path)


def same_fields(records):
    """Records with the same fields in the same order (the table needs it): a field a record lacks becomes ''
    where the others hold text, else NaN."""
    names = list(dict.fromkeys(name for record in records for name in record))
    text = {name for record in records for name, value in record.items() if isinstance(value, str)}
    return [{name: record.get(name, "" if name in text else float("nan")) for name in names} for record in records]
