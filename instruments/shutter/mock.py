"""The mock laser shutter: its state is the virtual microscope's ``shutter_open`` (written under the state's
lock), so the mock camera sees the beam only while it is open. Faults (``ShutterFaults``) make a command hang
until the timeout or fail as if the cable were pulled; either way the state does not change."""

import threading
import time

from ..errors import InstrumentDisconnectedError, InstrumentTimeoutError
from ..faults import FaultCounter, ShutterFaults
from ..virtual_microscope import InstrumentState
from .interface import ShutterBase


class MockShutter(ShutterBase):
    """A shutter that writes ``state.shutter_open``; connecting closes it. ``timeout_s`` is how long a hanging
    command takes."""

    def __init__(self, state=None, faults=None, timeout_s=1.0, settle_s=0.0):
        self.state = state if state is not None else InstrumentState()
        self.faults = faults if faults is not None else ShutterFaults()
        self.timeout_s = float(timeout_s)
        self.settle_s = float(settle_s)
        self.connected = True
        self._counter = FaultCounter()
        self._lock = threading.Lock()
        self.set_open(False)  # like the real drivers, connecting closes the shutter (fault command 1)

    def arm_faults(self, faults):
        """Replace the faults and restart their command count."""
        with self._lock:
            self.faults = faults
            self._counter.reset()

    def _command(self, what):
        if not self.connected:
            raise InstrumentDisconnectedError(f"the mock shutter is closed (disconnected); cannot {what}.")
        with self._lock:
            self._counter.tick()
            hang = self._counter.due("timeout", self.faults.timeout_after_n_commands)
            unplugged = self._counter.due("disconnect", self.faults.disconnect_after_n_commands)
        if hang:
            time.sleep(self.timeout_s)
            raise InstrumentTimeoutError(f"the mock shutter did not answer '{what}' within {self.timeout_s:g} s "
                                         "(injected fault; config: shutter.timeout_s).")
        if unplugged:
            raise InstrumentDisconnectedError(f"the mock shutter went away at '{what}' (injected fault: "
                                              "faults.shutter_disconnect_after_n_commands).")

    def _move(self, open_):
        self._command("open" if open_ else "close")
        with self.state.lock:
            self.state.shutter_open = open_

    def is_open(self):
        self._command("query state")
        with self.state.lock:
            return self.state.shutter_open

    def _disconnect(self):
        pass

    def __repr__(self):
        return "MockShutter()"
