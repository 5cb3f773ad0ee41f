"""The session writer as a subscriber to the sweep engine's events (``instruments.sweep.events``).

``SessionSubscriber(open_writer)``: on ``SweepStarted`` it creates the file with ``open_writer(frame_shape,
dark_frame_adu)`` (``H5Sessions.session_factory``: an ``analysis.session.SessionWriter``, or the GUI's
``ProcessSessionWriter`` in the file process); on each ``StepDone`` it writes the step's sums of this sweep
and its counters, flushed before it returns; on ``SweepFinished``/``SweepFailed`` it records the status and
the reason and closes the file. The engine calls its subscribers in its own thread and goes on only when they
return, so a step is in the file before the next one begins and before later subscribers hear of it;
an exception here stops the sweep (RF off, shutter closed) as a failure carrying the exception's type.
"""

from instruments.sweep import StepDone, SweepFailed, SweepFinished, SweepStarted


class SessionSubscriber:
    """One acquisition's session file, written from the engine's events. Subscribe it first."""

    ledger_category = "writing"
    """The engine books the time of these calls as "writing" in its time ledger."""

    def __init__(self, open_writer):
        self.open_writer = open_writer
        self.writer = None

    def __call__(self, event):
        if isinstance(event, StepDone):
            self.writer.write_step(event.step_index, event.sweep_index, event.on_sum, event.off_sum,
                                   event.sweep_pairs, event.t_start_s, event.t_end_s)
        elif isinstance(event, SweepStarted):
            self.writer = self.open_writer(tuple(event.frame_shape), event.dark_frame_adu)
        elif isinstance(event, SweepFinished):
            self._finish(event.status, event.reason)
        elif isinstance(event, SweepFailed):
            self._finish("failed", event.reason)

    def _finish(self, status, reason):
        """Record the status once; a file never created (the sweep stopped before) has nothing to record."""
        if self.writer is not None and not self.writer.closed:
            self.writer.finish(status=status, reason=reason)

