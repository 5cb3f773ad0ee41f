"""The session-file seam: what the window needs from session files (``analysis.session``, issue 4).

A ``SessionBackend`` gives an acquisition a session factory (``app.core.session_subscriber.SessionSubscriber``,
subscribed to the sweep engine's events, calls ``session_factory(frame_shape, dark_frame_adu)`` at the start,
then ``writer.write_step(...)`` per step and ``writer.finish(status=, reason=)`` at the end), adds the analysis
results the window shows to a finished file, copies a file (Save as), edits its sample metadata and reads a
file for review. ``H5Sessions`` (session_files.py) is the adapter over ``analysis.session``;
``AnalysisSeams(sessions=None)`` runs acquisitions without files.
"""

from typing import Protocol


class SessionBackend(Protocol):
    def session_factory(self, path, plan, *, freq_windows_hz, instrument_settings, sample_metadata, truth=None):
        """``f(frame_shape, dark_frame_adu) -> analysis.session.SessionWriter`` creating ``path`` (never over an
        existing file), or None to acquire without a file."""

    def write_field_maps(self, path, maps, pixel_size_m):
        """Store a live fit's ``FieldMaps`` (fit maps, background, field map) in the finished file ``path``."""

    def write_cells(self, path, rows, models):
        """Store the cell table (``CellRow``s) and the model cards ({sha256: card}) in ``path``."""

    def fit_session(self, path):
        """Fit the file's spectra again and store fit, background and field maps (``nvscope fit``)."""

    def update_sample_metadata(self, path, **fields):
        """Merge the fields into the file's sample metadata; returns the new dict."""

    def save_as(self, source, destination):
        """Copy the session file ``source`` to ``destination`` (never over an existing file)."""

    def open(self, path):
        """Read a session file for review; returns ``analysis.session.Session``."""
