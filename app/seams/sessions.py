"""The session-file seam: ``analysis.session`` (SessionWriter / read_session, issue 4) plugs in here.

A ``SessionBackend`` gives the sweep engine a session factory for a new acquisition (the engine calls
``session_factory(frame_shape, dark_frame_adu)`` once, then ``writer.write_step(...)`` per step and
``writer.finish(status=, reason=)``), saves what is on screen to a chosen path and opens a file for review.
Until an adapter over ``analysis.session`` is plugged in, ``UnavailableSessions`` answers
every call with ``FeatureNotAvailable`` carrying a message for the user.
"""

from typing import Protocol


class FeatureNotAvailable(RuntimeError):
    """A menu action whose part of nvscope is not in this build yet; the message says so for the user."""


class SessionBackend(Protocol):
    available: bool
    unavailable_reason: str

    def session_factory(self, plan, metadata):
        """``f(frame_shape, dark_frame_adu) -> analysis.session.SessionWriter`` for the sweep engine, or None to
        acquire without a file."""

    def save_as(self, path, snapshot):
        """Write what the app holds now (an ``AcquisitionSnapshot``) to ``path``."""

    def open(self, path):
        """Read a session file for review; returns the session object of analysis.session."""


class UnavailableSessions:
    available = False
    unavailable_reason = ("Session files are not available in this build yet: they arrive with the session "
                          "module (analysis.session). Acquisitions run and display normally but are not saved.")

    def session_factory(self, plan, metadata):
        return None

    def save_as(self, path, snapshot):
        raise FeatureNotAvailable(self.unavailable_reason)

    def open(self, path):
        raise FeatureNotAvailable(self.unavailable_reason)
