"""What the window does with session files: name the file of each acquisition (chosen, or made up in the
data folder) and hand the engine its writer; add the maps shown at the end of a sweep and the cell table to
the finished file; Open (review mode), Open recent, Save as; sample metadata.

File writes run one at a time on their own worker (HDF5 allows one writer per file); reading a file for review
runs on a worker too; results come back on the GUI thread through ``poll()``.
"""

import logging
import os
import re
import time
from pathlib import Path

import numpy as np
from PyQt6.QtWidgets import QFileDialog

from analysis import physics
from app.core.background_tasks import TaskRunner
from app.core.session_files import SESSION_SUFFIX, instrument_settings_of, simulated_truth, with_calibration
from app.gui.recover_offer import needs_recovery, offer_recovery
from app.gui.settings_store import default_data_dir

log = logging.getLogger("nvscope.app")
FILE_FILTER = "nvscope sessions (*.h5 *.hdf5);;all files (*)"
_NO_SESSION_FILES = ("This window writes no session files: it was started without a session backend "
                     "(AnalysisSeams(sessions=None)). Acquisitions run and display normally but are not saved.")
_ENDED = ("finished", "aborted", "failed")


def _slug(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip())[:40].strip("-")


class SessionActions:
    def __init__(self, window):
        self.window = window
        self.sessions = window.seams.sessions
        self.panel = window.session_panel
        self.settings = window.settings
        self.file_tasks = TaskRunner(max_workers=1, name="nvscope-file")
        self.chosen_path = None
        self.current_path = None
        """The file of the running / last acquisition, or of the session under review."""
        self.live_path = None
        self._results_pending = False
        self._cells_dirty = False
        self._metadata_pending = False
        self.writes_done = 0
        self.last_error = None
        if self.sessions is not None:
            self.sessions.start()  # the file process imports HDF5 while the user sets up the sweep
        truth = simulated_truth(window.backend)
        # computing it holds the GIL ~0.1 s: in a worker at start-up, not as a sweep starts
        self._truth = window.tasks.submit(truth) if truth is not None else None
        self.panel.chooseFile.connect(self.choose_file)
        self.panel.chooseFolder.connect(self.choose_folder)
        self.panel.saveMetadata.connect(self.save_metadata)
        self.panel.set_folder(self.data_dir)
        self.panel.set_metadata(self.settings.get_json("sample/metadata", {}))

    # -- where the next acquisition goes ---------------------------------------------------------------------
    @property
    def data_dir(self):
        saved = self.settings.get_json("files/data_dir", "")
        return Path(saved) if saved else default_data_dir() / "sessions"

    def set_data_dir(self, folder):
        self.settings.set_json("files/data_dir", str(folder))
        self.panel.set_folder(folder)

    def choose_folder(self):
        folder = QFileDialog.getExistingDirectory(self.window, "Folder for new session files", str(self.data_dir))
        if folder:
            self.set_data_dir(folder)

    def choose_file(self):
        path, _ = QFileDialog.getSaveFileName(self.window, "Write the next acquisition to", str(self.data_dir),
                                              FILE_FILTER)
        if path:
            self.choose_path(path)

    def choose_path(self, path):
        """Write the next acquisition to ``path`` (it must not exist yet)."""
        path = str(path) if str(path).endswith((".h5", ".hdf5")) else str(path) + SESSION_SUFFIX
        self.chosen_path = path
        self.panel.set_file(path, False)

    def new_path(self):
        """The chosen file, else ``<data folder>/<date>_<time>[_<sample name>].h5`` (never an existing one)."""
        if self.chosen_path:
            return Path(self.chosen_path)
        folder = self.data_dir
        stem = time.strftime("%Y-%m-%d_%H%M%S")
        name = _slug(self.panel.metadata()["name"])
        stem += f"_{name}" if name else ""
        path, k = folder / f"{stem}{SESSION_SUFFIX}", 2
        while path.exists():
            path, k = folder / f"{stem}_{k}{SESSION_SUFFIX}", k + 1
        return path

    def factory_for(self, form):
        """The session factory for ``form`` (a valid ``SweepForm``): what the session writer subscribed to the
        engine opens the file with; None without session files."""
        make = self.factory_maker()
        if make is None:
            return None
        starts = np.cumsum((0,) + tuple(form.window_sizes))
        freqs = [form.plan.frequencies_hz[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
        return make(self.live_path, form.plan, freqs, {})

    def factory_maker(self):
        """Set up the files of a new acquisition (its name: ``live_path``) and return ``make(path, plan,
        freq_windows_hz, extra_metadata)`` -> the session factory for one sweep into ``path`` (an
        adaptive run makes two: its first pass and the adaptive pass); None without session files."""
        if self.sessions is None:
            return None
        if self._cells_dirty and self.file_is_writable():  # the last file's table first
            self._cells_dirty = False
            self._write("the cell table", self.sessions.write_cells, self.current_path, list(self.window.cells.rows()),
                        dict(self.window.cells.models))
        backend = self.window.backend
        path = self.new_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = with_calibration(self.panel.metadata(), backend.calibration)
        settings = instrument_settings_of(backend)

        def make(file_path, plan, freq_windows_hz, extra_metadata):
            return self.sessions.session_factory(file_path, plan, freq_windows_hz=freq_windows_hz,
                                                 instrument_settings=settings,
                                                 sample_metadata={**metadata, **extra_metadata},
                                                 truth=self._simulated_truth)

        self.settings.set_json("sample/metadata", self.panel.metadata())
        self.chosen_path = None
        self.current_path = self.live_path = str(path)
        self._results_pending, self._cells_dirty, self._metadata_pending = True, False, False
        self.panel.set_file(path, False)
        self.panel.info.setPlainText(f"acquiring into {path}")
        self.settings.add_recent_file(str(path))
        self.window.fill_recent_menu()
        log.info("acquisition writes %s", path)
        return make

    def _simulated_truth(self):
        """The simulated sample's truth (None for real instruments). Called in the engine's thread: waits for
        the start-up computation (the wait releases the GIL)."""
        return self._truth.result() if self._truth is not None else None

    @staticmethod
    def d_hz_of(backend):
        return backend.microscope.d_hz if backend.microscope is not None else physics.ZERO_FIELD_SPLITTING_HZ

    # -- writing into the file after the sweep --------------------------------------------------------------
    @property
    def busy(self):
        return self.file_tasks.busy or self._results_pending and self.live_path is not None

    def file_is_writable(self):
        """True when the current file may take results now (not being acquired into)."""
        if self.current_path is None or self.sessions is None:
            return False
        return not (self.window.review is None and self.window.controller.running)

    def poll(self):
        """Called by the window's timer: deliver finished file work, and add the end-of-sweep results once the
        sweep has ended and its last fit (of all completed steps) is in."""
        self.file_tasks.poll()
        window = self.window
        if self._results_pending and self.live_path is not None:
            controller = window.controller
            snap = controller.snapshot()
            if snap.status in _ENDED and not controller.fitter.busy:
                self._results_pending = False
                written = getattr(controller, "paths", ())
                if written and self.live_path not in written:  # an adaptive run that ended in its first pass
                    self.current_path = self.live_path = written[-1]
                maps = controller.field_maps()
                if maps is not None:
                    self._write("the field maps", self.sessions.write_field_maps, self.live_path, maps,
                                window.backend.pixel_size_m)
                if self._metadata_pending:
                    self._write("the sample metadata", self.sessions.update_sample_metadata, self.live_path,
                                **self.panel.metadata())
                    self._metadata_pending = False
                self.panel.set_file(self.live_path, True)
                self.panel.info.setPlainText(f"{snap.status} sweep: {snap.steps_done} of {snap.steps_total} steps "
                                             f"in {self.live_path}")  # no stale "acquiring into"
                self._cells_dirty = True
        if self._cells_dirty and self.file_is_writable() and not self._results_pending:
            self._cells_dirty = False
            cells = window.cells
            self._write("the cell table", self.sessions.write_cells, self.current_path, list(cells.rows()),
                        dict(cells.models))

    def cells_changed(self):
        self._cells_dirty = True

    def _write(self, what, call, *args, **kwargs):
        path = args[0]

        if call == self.sessions.write_cells:  # never "cell table saved" for a table without cells
            n = len(args[1])
            what = f"the cell table ({n} cell{'s' if n != 1 else ''})" if n else "the cell table (empty)"

        def done(_result):
            self.writes_done += 1
            self.window.statusBar().showMessage(f"{what} saved in {os.path.basename(path)}")

        def failed(exc):
            self.last_error = exc
            self.window.errors.report("Cannot write to the session file", f"Writing {what} into {path} failed: "
                                      f"{exc}", "Check that the disk is not full and that no other program has "
                                      "the file open, then use File > Save session as… to write a copy.", exc)

        self.file_tasks.submit(lambda: call(*args, **kwargs), on_done=done, on_error=failed)

    def save_metadata(self):
        metadata = self.panel.metadata()
        self.settings.set_json("sample/metadata", metadata)
        if self.file_is_writable():
            self._write("the sample metadata", self.sessions.update_sample_metadata, self.current_path, **metadata)
        elif self.current_path is not None:
            self._metadata_pending = True  # written when the acquisition has finished
            self.window.statusBar().showMessage("sample metadata: saved into the file when the sweep ends")

    def fit_now(self):
        """Review mode: fit the reviewed file again (as ``nvscope fit``) in the file process, then show it."""
        if self.window.review is None or self.current_path is None:
            return None
        path = self.current_path
        self.window.statusBar().showMessage(f"fitting {os.path.basename(path)}…")
        self.file_tasks.submit(lambda: self.sessions.fit_session(path), on_done=lambda _r: self.open(path),
                               on_error=lambda exc: self.window.errors.report(
                                   "Cannot fit the session", _with_path_once(path, exc),
                                   "A file whose acquisition was killed must be repaired first (see "
                                   "docs/session_files.md); a file needs at least 8 measured steps.",
                                   exc))
        return path

    # -- Open, Save as ------------------------------------------------------------------------------------
    def _no_session_files(self):
        self.window.show_info("session files: not available", _NO_SESSION_FILES)

    def open(self, path=None):
        """Read ``path`` (or one the user picks) in a worker, then show it in review mode."""
        if self.sessions is None:
            return self._no_session_files()
        if self.window.controller.running:
            return self.window.errors.report("Cannot open a session now", "A sweep is running.",
                                             "Stop it (or wait until it ends), then open the file.")
        if self.busy or (self._cells_dirty and self.window.review is None):
            return self.window.errors.report("Cannot open a session yet", "The last sweep's results and cell table "
                                             "are being saved into its file.", "Try again in a moment.")
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open a session for review", str(self.data_dir),
                                                  FILE_FILTER)
            if not path:
                return None
        path = str(path)
        self.window.statusBar().showMessage(f"reading {path}…")

        def failed(exc):
            self.window.statusBar().clearMessage()  # no "reading bad.h5..." under the error dialog
            if needs_recovery(exc):
                return offer_recovery(self.window, path, exc, self.open, self.file_tasks)
            self.window.errors.report("Cannot open the session", _with_path_once(path, exc),
                                      "Check that it is an nvscope session file (.h5); a file whose acquisition "
                                      "was killed can be repaired (see docs/session_files.md).", exc)

        self.file_tasks.submit(lambda: self.sessions.open(path), on_done=self.window.enter_review, on_error=failed)
        return path

    def opened(self, session):
        self.current_path = session.path
        self.settings.add_recent_file(session.path)
        self.window.fill_recent_menu()
        self.panel.set_file(session.path, session.status != "running")
        self.panel.set_metadata(session.sample_metadata)

    def save_as(self, path=None):
        if self.sessions is None:
            return self._no_session_files()
        if self.current_path is None or not self.file_is_writable() or self.busy:
            return self.window.errors.report(
                "Nothing to save yet", "There is no finished session file to copy.",
                "Every acquisition is written to its file as it runs (Session panel). Save as copies it once the "
                "sweep has ended and its results are written.")
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save the session as", str(self.data_dir),
                                                  FILE_FILTER)
            if not path:
                return None
        source, path = self.current_path, str(path)

        def copied(destination):
            self.current_path = destination
            if self.window.review is None:
                self.live_path = destination
            else:
                self.window.review.path = destination
            self.settings.add_recent_file(destination)
            self.window.fill_recent_menu()
            self.panel.set_file(destination, True)
            self.window.statusBar().showMessage(f"saved as {destination}")

        self.file_tasks.submit(lambda: self.sessions.save_as(source, path), on_done=copied,
                               on_error=lambda exc: self.window.errors.report(
                                   "Cannot save the session", f"Copying {source} to {path} failed: {exc}",
                                   "Choose another file name or folder.", exc))
        return path

    def close(self):
        """On exit: let a write in progress finish (the file stays whole), then write what is still owed."""
        self.file_tasks.close(wait=True)
        controller = self.window.controller
        try:
            if self._results_pending and self.live_path and controller.snapshot().status in _ENDED:
                maps = controller.field_maps()
                if maps is not None:
                    self.sessions.write_field_maps(self.live_path, maps, self.window.backend.pixel_size_m)
            if self._cells_dirty and self.file_is_writable():
                self.sessions.write_cells(self.current_path, list(self.window.cells.rows()),
                                          dict(self.window.cells.models))
        except Exception as exc:  # noqa: BLE001 - closing goes on; the acquisition itself is in the file
            log.error("results not written into %s on exit: %s", self.current_path, exc, exc_info=exc)
        if self.sessions is not None:
            self.sessions.close()


def _with_path_once(path, exc):
    """The error's text, with the file's path in front unless the error already names it."""
    text = str(exc)
    return text if str(path) in text else f"{path}: {text}"
