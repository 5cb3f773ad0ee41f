"""The main window's timer: it pulls the newest results into the views, one view (or one queued update) per tick.

A mixin of ``MainWindow`` (its views, ``source``, ``later`` and ``_seen`` are the window's); kept apart so that
the main window's file stays short.
"""

import time

REFRESH_MS = 10
"""The window's timer. Each tick does at most one unit of view work: a queued secondary update (``self.later``:
the other maps' markers after a click, clearing the previous sweep's results after Start, the last camera frame
and spin contrast after a new sweep status) or, every ``TURN_TICKS`` ticks, the next view's turn. Qt runs every
timer that is due, then every repaint they asked for, in one pass of the event loop: one timer for all of it keeps
that to one view per pass."""
TURN_TICKS = 5
_TURNS = ("camera", "contrast", "field", "spectrum")
"""What the view turns update, in order: every view at most every 4 x 5 x 10 ms = 200 ms (5 Hz)."""


class ViewRefresh:
    def refresh(self):
        """The timer's tick (see ``REFRESH_MS``): one queued update, else every ``TURN_TICKS`` ticks pull the
        newest results and refresh the next view (camera, spin contrast, field map, spectrum). One pass of the
        event loop then repaints at most one view, which keeps each pass short when other processes take most of
        the CPU (bench_gui_responsiveness). ``refresh_all`` brings everything up to date at once."""
        if self.later.run_one():
            return
        if (self._tick + 1) % TURN_TICKS == 0 and time.perf_counter() - self._clicked_at < REFRESH_MS / 1e3:
            return  # a click redrew the spectrum in this pass of the event loop: the turn waits one tick
        self._tick += 1
        if self._tick % TURN_TICKS:
            return
        self.tasks.poll()
        self.session_actions.poll()
        snap = self.source.snapshot()
        turn = _TURNS[self._tick // TURN_TICKS % len(_TURNS)]
        live = snap.status not in ("finished", "aborted", "failed")  # else the deepest step stays shown
        if turn == "camera" and live:
            self._refresh_camera(snap)
        elif turn == "contrast" and live:
            self._refresh_contrast(snap, cursor=False)
        elif turn == "field":
            self._refresh_field(snap)
        elif turn == "spectrum":
            if live and self._seen["contrast_hz"] != self._seen["cursor_hz"]:
                self._seen["cursor_hz"] = self._seen["contrast_hz"]
                self.spectrum_view.set_current_frequency(self._seen["contrast_hz"])
            self._refresh_spectrum(snap)
        if turn in ("camera", "field"):
            self.run_panel.show_progress(snap)
        self._follow_status(snap)

    def _follow_status(self, snap):
        if snap.fit_error and snap.fit_error != self._seen.get("fit_error"):
            self.statusBar().showMessage(f"live fit failed (the sweep goes on): {snap.fit_error}")
        self._seen["fit_error"] = snap.fit_error
        if snap.status != self.shown_status:
            self._status_changed(snap)

    def refresh_all(self):
        """Bring every view up to date now (scripts and tests)."""
        self.later.flush()
        self.tasks.poll()
        self.session_actions.poll()
        snap = self.source.snapshot()
        self._refresh_acquisition_views(snap)
        self._refresh_result_views(snap)
        self.run_panel.show_progress(snap)
        self._follow_status(snap)
        self.later.flush()  # what a new status queued

    def _refresh_acquisition_views(self, snap):
        self._refresh_camera(snap)
        self._refresh_contrast(snap)

    def _refresh_camera(self, snap):
        if snap.camera_frame is not None and snap.camera_version != self._seen["camera"]:
            self._seen["camera"] = snap.camera_version
            self.camera_view.set_image(snap.camera_frame)

    def _refresh_contrast(self, snap, cursor=True):
        """The spin contrast and its title; the spectrum's frequency cursor now or (``cursor=False``) at the
        spectrum's turn."""
        if snap.contrast_image is not None and snap.contrast_version != self._seen["contrast"]:
            self._seen["contrast"] = snap.contrast_version
            self.contrast_view.set_image(snap.contrast_image)
            where = f"step {snap.step_index + 1}" + (f", sweep {snap.sweep_index + 1}" if snap.status != "review"
                                                     else f" of {snap.steps_total}")
            self.contrast_view.title.setText(f"Spin contrast at {snap.freq_hz / 1e6:.3f} MHz ({where})")
            self._seen["contrast_hz"] = snap.freq_hz
            if cursor:
                self._seen["cursor_hz"] = snap.freq_hz
                self.spectrum_view.set_current_frequency(snap.freq_hz)

    def _refresh_result_views(self, snap):
        self._refresh_field(snap)
        self._refresh_spectrum(snap)

    def _refresh_field(self, snap):
        if snap.field is not None and snap.field_version != self._seen["field"]:
            self._seen["field"] = snap.field_version
            self.field_view.set_maps(snap.field)

    def _refresh_spectrum(self, snap, force=False):
        pixel = self._hovered or self._pinned
        key = (pixel, snap.contrast_version, snap.field_version, snap.stage)  # a new stage may bring a plan
        if not force and key == self._seen["spectrum"]:
            return
        self._seen["spectrum"] = key
        data = self.source.spectrum(*pixel)
        if data is not None:
            source = " (under the cursor)" if self._hovered else ""
            self.spectrum_view.set_spectrum(pixel, *data, fit_curve=self.source.fit_curve(*pixel), source=source)
        self.spectrum_view.set_plan_marks(self.source.plan_marks())

