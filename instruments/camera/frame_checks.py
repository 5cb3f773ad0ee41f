"""What both cameras add on top of pylablib: typed frame errors.

``FrameChecks`` is mixed in before the pylablib camera class. It turns pylablib's frame-wait timeout into
``FrameTimeoutError`` (with the timeout in the message) and checks the frame stamps of what is read: a stamp
that does not follow its predecessor by one means the camera lost an exposure, which breaks the on/off pairing
of an RF-gated sequence, so it raises ``DroppedFrameError`` (after marking the range as read, so the next read
continues after it).
"""

from ..errors import DroppedFrameError, FrameTimeoutError


def framestamp_gaps(indices, framestamps, previous=None):
    """Pairs ``(frame_index, missing_exposures)`` where a stamp does not follow the one before it by one.
    ``previous`` is ``(index, stamp)`` of the frame just before ``indices[0]`` when known."""
    gaps = []
    last = previous
    for index, stamp in zip(indices, framestamps, strict=True):
        if stamp is None:
            last = None
            continue
        if last is not None and last[0] == index - 1 and stamp != last[1] + 1:
            gaps.append((index, stamp - last[1] - 1))
        last = (index, stamp)
    return gaps


class FrameChecks:
    """Mixin for a pylablib camera: typed timeout from ``wait_for_frame``, dropped-frame detection."""

    camera_label = "camera"

    def wait_for_frame(self, since="lastread", nframes=1, timeout=20.0, error_on_stopped=False):
        """pylablib's ``wait_for_frame``; a timeout raises ``FrameTimeoutError`` saying how long it waited."""
        try:
            return super().wait_for_frame(since=since, nframes=nframes, timeout=timeout,
                                          error_on_stopped=error_on_stopped)
        except FrameTimeoutError as err:
            if str(err):
                raise
            status = self.get_frames_status()
            raise FrameTimeoutError(
                f"the {self.camera_label} delivered no new frame within {timeout} s (waiting for {nframes} "
                f"frame(s) since '{since}'; {status.acquired} acquired so far). Check the trigger and the "
                "exposure, or raise camera.timeout_s.") from None

    def _raise_if_dropped(self, rng, indices, framestamps, previous=None):
        gaps = framestamp_gaps(indices, framestamps, previous)
        if gaps:
            self._frame_counter.advance_read_frames(rng)
            described = ", ".join(f"{missing} before frame {index}" for index, missing in gaps)
            raise DroppedFrameError(
                f"the {self.camera_label} lost exposures ({described}); frames {rng[0]}..{rng[1] - 1} were "
                "discarded. The on/off pairing of this sequence cannot be trusted: restart the step.")
