"""Faults the mock instruments can be told to produce, so that tests (and a user, from the config's [faults]
table) can check that every failure becomes a clear, typed error and leaves the RF off and the shutter closed.

Counts are "after n": the fault fires once, on the n-th command (or frame) counted from the moment the faults
were armed (the mock's start, or the last ``arm_faults`` call). 0 disables a fault. For the SCPI mock a command
is one message unit: ``OUTP 1;:SYST:ERR?`` counts two, so the counts mean the same whether the driver sends a
setting and its error query as one message or two; a fault acts on the message that holds the n-th command.
"""

from dataclasses import dataclass


@dataclass
class RfFaults:
    """Faults of the mock SCPI server (``instruments.rf.mock_server.MockScpiServer``)."""

    timeout_after_n_commands: int = 0
    """The first query at or after the n-th command gets no reply at all (the client times out)."""
    disconnect_after_n_commands: int = 0
    """The server closes the connection on the message holding the n-th command instead of executing it (later
    connections work)."""
    garbage_reply_after_n_commands: int = 0
    """The first query at or after the n-th command gets a garbage reply instead of its answer."""
    trickle_reply_after_n_commands: int = 0
    """The first query at or after the n-th command gets its reply one byte every ``trickle_interval_s``."""
    trickle_interval_s: float = 0.3
    endless_reply_after_n_commands: int = 0
    """The first query at or after the n-th command gets a reply that never ends (bytes without a newline)."""


@dataclass
class CameraFaults:
    """Faults of the mock camera (``instruments.camera.mock.MockCamera``)."""

    drop_frame_every_n: int = 0
    """Every n-th exposure of an acquisition is lost (never delivered; the camera's frame stamp skips it)."""
    late_frame_every_n: int = 0
    """Every n-th frame of an acquisition arrives ``late_frame_s`` later than it should."""
    late_frame_s: float = 0.0
    disconnect_after_n_frames: int = 0
    """After n frames (counted since the faults were armed, over all acquisitions: a sweep starts many) the camera
    stops delivering and every call says it is disconnected."""


@dataclass
class ShutterFaults:
    """Faults of the mock shutter (``instruments.shutter.mock.MockShutter``)."""

    timeout_after_n_commands: int = 0
    """The n-th command hangs for the configured timeout, changes nothing and raises a timeout."""
    disconnect_after_n_commands: int = 0
    """The n-th command fails as if the USB cable were pulled and changes nothing."""


class FaultCounter:
    """Counts commands and says when a one-shot "after n" fault is due (thread-safe enough for one client)."""

    def __init__(self):
        self.count = 0
        self._fired = set()

    def reset(self):
        self.count = 0
        self._fired.clear()

    def tick(self, n=1):
        self.count += n
        return self.count

    def due(self, name, after_n):
        """True once, the first time this is asked with ``count >= after_n`` (never when ``after_n`` is 0)."""
        if after_n <= 0 or name in self._fired or self.count < after_n:
            return False
        self._fired.add(name)
        return True
