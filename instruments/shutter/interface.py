"""The laser shutter interface every shutter driver implements.

    class Shutter(Protocol):
        set_open(open_: bool)    open (True) or close (False) the beam shutter; returns once it has moved
                                 (plus the configured settle time, config shutter.settle_s)
        is_open() -> bool        the state as the controller reports it
        open_shutter()           = set_open(True)
        close_shutter()          = set_open(False)
        ensure_closed()          close it, trying hard (one reconnect and retry); for safety paths
        close()                  ensure_closed(), then disconnect (raises if it could not close); idempotent
        __enter__/__exit__       ``with`` closes on every exit path

"Close" is overloaded in English: ``close_shutter()`` blocks the beam, ``close()`` ends the connection (and
blocks the beam first). Failures raise the typed errors of ``instruments.errors``.
"""

import threading
import time
from typing import Protocol, runtime_checkable

from ..errors import InstrumentError


@runtime_checkable
class Shutter(Protocol):
    def set_open(self, open_: bool) -> None: ...
    def is_open(self) -> bool: ...
    def open_shutter(self) -> None: ...
    def close_shutter(self) -> None: ...
    def ensure_closed(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self): ...
    def __exit__(self, *exc): ...


class ShutterBase:
    """Shared behaviour: subclasses implement ``_move(open_)``, ``is_open()``, ``_disconnect()`` and
    optionally ``reconnect()``."""

    settle_s = 0.0
    connected = True

    def _guard(self):
        """Per-instance re-entrant lock: one move or query at a time across threads (sweep vs. abort)."""
        return self.__dict__.setdefault("_io_lock", threading.RLock())

    def set_open(self, open_):
        with self._guard():
            self._move(bool(open_))
            if self.settle_s > 0:
                time.sleep(self.settle_s)

    def open_shutter(self):
        self.set_open(True)

    def close_shutter(self):
        self.set_open(False)

    def reconnect(self):
        """Re-establish the connection (drivers with a transport override this)."""

    def ensure_closed(self):
        """Close the shutter; on a failure reconnect once and try again (the second failure propagates)."""
        with self._guard():
            try:
                self.set_open(False)
            except InstrumentError:
                self.reconnect()
                self.set_open(False)

    def close(self):
        """Close the shutter (``ensure_closed``), then disconnect, also when closing failed (that error is then
        raised: a shutter that may still be open is never silent). Idempotent."""
        if self.__dict__.get("_closed"):
            return
        self._closed = True
        try:
            self.ensure_closed()
        finally:
            self._disconnect()
            self.connected = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _move(self, open_):
        raise NotImplementedError

    def is_open(self):
        raise NotImplementedError

    def _disconnect(self):
        raise NotImplementedError


class TransportShutterBase(ShutterBase):
    """A shutter behind a connection (SC10, KSC101): subclasses implement ``_connect()`` (open the connection,
    then put the controller in its safe state, closing the connection again if that fails) and
    ``_disconnect()``; ``reconnect()`` is the two."""

    def reconnect(self):
        self._disconnect()
        self._connect()

    def _connect(self):
        raise NotImplementedError
