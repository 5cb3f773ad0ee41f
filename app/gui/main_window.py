"""The main window: instruments and sweep settings on the left, live views in the middle, cells on the right.

The sweep runs in the engine's thread and the live fit in the fitter's; this window only pulls their newest
results on a timer (``refresh`` in view_refresh.py: one view per tick) and never waits on an instrument, a fit
or a cell analysis.
"""

import logging
import sys
import time
from pathlib import Path

from PyQt6.QtCore import QByteArray, Qt, QTimer
from PyQt6.QtWidgets import QMainWindow, QMessageBox

from analysis.session import SessionError
from app.core.adaptive_sweep import AdaptiveController
from app.core.analysis_seams import default_seams
from app.core.app_logging import LOG_NAME, attach_log_file, detach_log_file
from app.core.background_tasks import TaskRunner
from app.core.factory_backend import make_backend
from app.core.instruments import INSTRUMENT_NAMES
from app.core.staggered_calls import StaggeredCalls
from app.gui import theme
from app.gui.actions import build_actions
from app.gui.cell_actions import CellActions
from app.gui.data_actions import DataActions
from app.gui.error_dialog import ErrorReporter
from app.gui.exports import export_png
from app.gui.panels.run_panel import RunPanel
from app.gui.review_mode import enter_review, leave_review
from app.gui.session_actions import SessionActions
from app.gui.settings_store import SettingsStore, default_data_dir
from app.gui.view_refresh import REFRESH_MS, ViewRefresh
from app.gui.views.snippet_triptych import EMPTY_TITLE
from app.gui.window_layout import build_docks, build_views
from app.version import APP_VERSION

log = logging.getLogger("nvscope.app")
GIL_SWITCH_INTERVAL_S = 0.0002
_FAILED_WHAT_TO_DO = ("The RF output was switched off and the laser shutter closed. Check the instrument named in "
                      "the message (cable, power, address), reconnect it in the Instruments panel if its light is "
                      "not green, and start the sweep again. Details are in the log file {log}.")
_FILE_FAILED_WHAT_TO_DO = ("The RF output was switched off and the laser shutter closed. The session file keeps every "
                           "step written before the failure. Check the disk (space, permissions) and start the "
                           "sweep again. Details are in the log file {log}.")


class MainWindow(ViewRefresh, QMainWindow):
    def __init__(self, backend=None, seams=None, settings_path=None, log_dir=None, auto_connect=True,
                 refresh_ms=REFRESH_MS):
        super().__init__()
        # the sweep and the live fit run Python in other threads: with the default 5 ms GIL switch interval the
        # GUI thread can wait 5 ms at each of the many Python calls a repaint makes (bench_gui_responsiveness)
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        theme.apply_theme()
        self.backend = backend if backend is not None else make_backend()
        self.seams = seams if seams is not None else default_seams()
        self.settings = SettingsStore(settings_path)
        self.log_dir = Path(log_dir) if log_dir is not None else default_data_dir() / "logs"
        self._log_handler = attach_log_file(self.log_dir)
        self.errors = ErrorReporter(self)
        self.tasks = TaskRunner()
        self.controller = AdaptiveController(self.seams)  # an AcquisitionController that also runs adaptive sweeps
        self.controller.warm_up()
        self.review = None
        """A ``ReviewSource`` while a saved session is shown (review mode), else None."""
        self.setWindowTitle(f"nvscope — {self.backend.description}")
        build_views(self)
        build_docks(self)
        self.actions_ = build_actions(self)
        self.run_panel = RunPanel(self.actions_.start, self.actions_.pause, self.actions_.stop)
        self.sweep_box.layout().insertWidget(0, self.run_panel)
        for dock in (self.instrument_dock, self.sweep_dock, self.session_dock, self.cell_dock, self.study_dock):
            self.actions_.view_menu.addAction(dock.toggleViewAction())
        self.cells = CellActions(self)
        self.session_actions = SessionActions(self)
        self.data_actions = DataActions(self)
        self._pinned = (self.backend.frame_shape[0] // 2, self.backend.frame_shape[1] // 2)
        self._hovered = None
        self._seen = {"camera": 0, "contrast": 0, "field": 0, "spectrum": None, "contrast_hz": None,
                      "cursor_hz": None}
        self.shown_status = "idle"
        self._tick = 0
        self._shut_down = False
        self.close_reason = ""
        """Why the window is closing when it is not the user's choice (a signal): the file's "aborted" reason."""
        self._connect_signals()
        self._default_state = self.saveState()
        self._restore_settings()
        self.update_actions()
        self.later = StaggeredCalls()
        self._clicked_at = -1.0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        log.info("nvscope %s started on %s", APP_VERSION, self.backend.description)
        if auto_connect and all(self.backend.is_mock(n) for n in INSTRUMENT_NAMES):
            self.instruments.connect_all()

    def _connect_signals(self):
        self.sweep_panel.formChanged.connect(self.update_actions)
        self.instruments.stateChanged.connect(self.update_actions)
        self.instruments.faulted.connect(self._instrument_fault)
        for view in (self.field_view, self.contrast_view, self.camera_view):
            view.pixelClicked.connect(self.pin_pixel)
            view.pixelHovered.connect(self._hover)
        self.field_view.pixelClicked.connect(self.cells.analyse_at)
        self.cell_panel.cellSelected.connect(self.cells.show_cell)

    # -- where the views' data come from ------------------------------------------------------------------
    @property
    def source(self):
        """The reviewed session in review mode, else the live acquisition (same pull interface)."""
        return self.review if self.review is not None else self.controller

    def calibration(self):
        """The shown data's ``Calibration``: the reviewed session's, else the instruments' (the config's)."""
        return self.review.calibration if self.review is not None else self.backend.calibration

    def pixel_size_m(self):
        return self.calibration().pixel_size_m

    def steps_planned(self):
        """Frequency steps the shown sweep plans (the reviewed file's, else the running plan's), or None."""
        if self.review is not None:
            return int(self.review.session.n_steps)
        plan = self.controller.plan
        return int(plan.n_steps) if plan is not None else None

    # -- acquisition ---------------------------------------------------------------------------------------
    def start_sweep(self):
        form = self.sweep_panel.form
        if not self.actions_.start.isEnabled() or form is None or not form.valid:
            return
        try:
            camera, rf, shutter = (self.backend.instrument(n) for n in INSTRUMENT_NAMES)
            common = dict(window_sizes=form.window_sizes, pixel_size_m=self.backend.pixel_size_m,
                          d_hz=self.session_actions.d_hz_of(self.backend))
            if form.adaptive_share is not None:
                make = self.session_actions.factory_maker()
                self.controller.start_adaptive(form.plan, camera, rf, shutter, make_factory=make,
                                               out_path=self.session_actions.live_path if make else None,
                                               first_share=form.adaptive_share, **common)
            else:
                self.controller.start(form.plan, camera, rf, shutter,
                                      session_factory=self.session_actions.factory_for(form), **common)
        except Exception as exc:  # noqa: BLE001 - any refusal is shown to the user with what to do
            self.errors.report("Cannot start the sweep", str(exc),
                               "Check the sweep settings, the session file (Session panel) and that every "
                               "instrument light is green.", exc)
            return
        self._seen.update(camera=0, contrast=0, spectrum=None)
        self.shown_status = "running"
        self.statusBar().showMessage("sweep running")
        self.update_actions()
        # the rest repaints other parts of the window: one per pass of the event loop (StaggeredCalls)
        field_shown = self._seen["field"]
        if self.cells.rows() or self.cell_panel.triptych.title.text() != EMPTY_TITLE:  # else nothing to clear
            self.later.add("clear cells", lambda: self.cells.set_rows([]))
        if self.field_view.maps is not None:
            self.later.add("clear field", lambda: self._seen["field"] == field_shown and self.field_view.clear_maps())
        self.later.add("save form", lambda: self.settings.set_json("sweep/values", self.sweep_panel.values()))

    def toggle_pause(self):
        if self.controller.snapshot().status == "paused":
            self.controller.resume()
        else:
            self.controller.pause()
        self.update_actions()

    def stop_sweep(self):
        self.controller.stop()
        self.statusBar().showMessage("stopping between frames…")

    def _start_blockers(self):
        reasons = []
        if self.review is not None:
            reasons.append("review mode: File > Back to live acquisition")
        if self.controller.running:
            reasons.append("a sweep is running")
        if not self.instruments.all_connected():
            reasons.append("connect every instrument (Instruments panel)")
        form = self.sweep_panel.form
        if form is None or not form.valid:
            reasons.append("fix the sweep settings: " + (form.summary() if form is not None else ""))
        return reasons

    def update_actions(self, *_):
        running = self.controller.running
        blockers = self._start_blockers()
        self.actions_.start.setEnabled(not blockers)
        self.actions_.start.setToolTip("start the sweep" if not blockers else "Start needs: " + "; ".join(blockers))
        self.actions_.pause.setEnabled(running)
        self.actions_.pause.setText("&Resume" if self.controller.snapshot().status == "paused" else "&Pause")
        self.actions_.stop.setEnabled(running)
        self.sweep_panel.set_running(running or self.review is not None)
        self.instruments.set_running(running)
        self.actions_.live.setEnabled(self.review is not None)
        self.actions_.fit_now.setEnabled(self.review is not None)
        self.actions_.open.setEnabled(not running)
        self.actions_.save.setEnabled(not running)

    def _instrument_fault(self, name, exc):
        self.errors.report(f"{name} fault", f"The {name} could not be reached: {exc}",
                           "Check its cable, power and address (configuration), then press Connect again.", exc)

    def _status_changed(self, snap):
        """A new sweep status: the buttons and the status bar now; the last camera frame and the spin contrast
        (the deepest step's once a sweep ended) one per tick (``self.later``): all of it in one pass of the event
        loop was the longest stall at the end of a sweep beside two CPU-bound processes."""
        self.shown_status = snap.status
        self.update_actions()
        self.later.add("last camera frame", lambda: self._refresh_camera(self.source.snapshot()))
        if snap.status in ("finished", "aborted"):
            self.later.add("last spin contrast", self._show_deepest_step)
        else:
            self.later.add("last spin contrast", lambda: self._refresh_contrast(self.source.snapshot()))
        message = {"finished": "sweep finished", "aborted": "sweep stopped", "paused": "paused"}.get(snap.status)
        if message:
            self.statusBar().showMessage(message)
        if snap.status == "failed":
            self.statusBar().showMessage("sweep failed")
            file_failed = isinstance(snap.failure_error, SessionError)
            self.errors.report("Sweep failed", f"The sweep stopped: {snap.failure}",
                               (_FILE_FAILED_WHAT_TO_DO if file_failed else _FAILED_WHAT_TO_DO).format(
                                   log=self.log_dir / LOG_NAME))

    def _show_deepest_step(self):
        """After a sweep, the spin contrast worth looking at: the step with the deepest mean dip (the last step
        is usually off resonance); the last step's when none is known."""
        deepest = self.source.deepest_step()
        if deepest is None:
            self._refresh_contrast(self.source.snapshot())
            return
        step, freq_hz, image = deepest
        self.contrast_view.set_image(image)
        self.contrast_view.title.setText(f"Spin contrast at {freq_hz / 1e6:.3f} MHz (step {step + 1}, the "
                                         "deepest mean dip)")

    # -- pixels --------------------------------------------------------------------------------------------
    def pin_pixel(self, row, col):
        """Show pixel (row, col)'s spectrum and mark it on the maps (a click on any image view). The spectrum is
        redrawn now; the three markers follow one per tick of the timer (``self.later``, ``REFRESH_MS``): each
        marker repaints its view, and all four repaints in one pass made a click the longest stall of a sweep."""
        self._pinned, self._hovered = (row, col), None
        self._refresh_spectrum(self.source.snapshot(), force=True)
        for name in ("field_view", "contrast_view", "camera_view"):
            self.later.add(f"marker {name}", lambda n=name: getattr(self, n).set_marker(*self._pinned))
        self._clicked_at = time.perf_counter()

    def _hover(self, row, col):
        self._hovered = (row, col) if row >= 0 else None
        value = self.field_view.value_at(row, col) if self._hovered else None
        if value is not None:
            unit = "" if self.field_view.mode == "fit quality" else " µT"
            self.statusBar().showMessage(f"pixel (row {row}, col {col}): {self.field_view.mode} = {value:.3f}{unit}")

    # -- files and review mode ----------------------------------------------------------------------------
    def save_session(self, path=None):
        return self.session_actions.save_as(path)

    def open_session(self, path=None):
        return self.session_actions.open(path)

    def enter_review(self, session):
        enter_review(self, session)

    def leave_review(self):
        leave_review(self)

    def select_step(self, step):
        """Review mode: show frequency step ``step`` (the slider under the spin contrast)."""
        if self.review is not None:
            self.review.select_step(step)
            self.step_browser.show_step(self.review)
            self._refresh_acquisition_views(self.review.snapshot())

    def reset_views(self):
        """Forget what the views showed (a new source of data)."""
        self._seen.update(camera=-1, contrast=-1, field=-1, spectrum=None)
        for view in (self.camera_view, self.contrast_view, self.field_view.view):
            view.set_pixel_size_m(self.pixel_size_m())

    def export_view(self, which, path=None):
        """Save a view ("field map", "spin contrast", "spectrum", "cell snippets", "window") as PNG."""
        widgets = {"field map": self.field_view, "spin contrast": self.contrast_view, "camera": self.camera_view,
                   "spectrum": self.spectrum_view, "cell snippets": self.cell_panel.triptych, "window": self}
        return export_png(self, widgets[which], which, path)

    def show_info(self, title, text):
        self.statusBar().showMessage(title)
        box = QMessageBox(QMessageBox.Icon.Information, f"nvscope — {title}", text, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.info_box = box
        box.open()

    def fill_recent_menu(self):
        menu = self.actions_.recent_menu
        menu.clear()
        for path in self.settings.recent_files():
            menu.addAction(path, lambda p=path: self.open_session(p))
        menu.setEnabled(bool(self.settings.recent_files()))

    def show_about(self):
        QMessageBox.about(self, "About nvscope",
                          f"nvscope {APP_VERSION}\nNV-centre widefield magnetic microscope.\n"
                          f"Instruments: {self.backend.description}\nLog: {self.log_dir / LOG_NAME}")

    # -- settings and teardown -----------------------------------------------------------------------------
    def reset_layout(self):
        self.restoreState(self._default_state)

    def _restore_settings(self):
        state = self.settings.get_bytes("window/state")
        if state is not None:  # first: which docks show decides the smallest size the geometry may take
            self.restoreState(state)
            self.layout().activate()  # now, not at the next event: hidden (tabbed) docks must not clamp the size
        geometry = self.settings.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1680, 1000)
        splitter = self.settings.get_bytes("window/views")
        if splitter is not None:
            self.view_splitter.restoreState(splitter)
        self.sweep_panel.set_values(self.settings.get_json("sweep/values", {}))
        self.field_view.set_mode(self.settings.get_json("view/field_mode", ""))
        self.fill_recent_menu()

    def save_settings(self):
        self.settings.set_bytes("window/geometry", self.saveGeometry())
        self.settings.set_bytes("window/state", self.saveState())
        self.settings.set_bytes("window/views", QByteArray(self.view_splitter.saveState()))
        self.settings.set_json("sweep/values", self.sweep_panel.values())
        self.settings.set_json("view/field_mode", self.field_view.mode)
        self.settings.sync()

    def shutdown(self):
        """Stop everything this window started: timer, sweep (abort + wait), fitter, workers, instruments."""
        if self._shut_down:
            return
        self._shut_down = True
        self.timer.stop()
        self.save_settings()
        self.controller.close(reason=self.close_reason)
        self.tasks.close(wait=True)
        self.session_actions.close()
        self.study_tab.close()
        self.backend.close()
        log.info("nvscope closed; instruments left safe")
        detach_log_file(self._log_handler)

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)
