"""Updates that run one per pass of the event loop instead of all in the pass that asked for them.

Each update that changes a view makes Qt repaint it; several in one pass (a click that moves the pinned-pixel
marker on three maps, the Start button that clears and disables half the window) add up to one long stall of
the event loop on a busy machine. Queued here, they run ``interval_ms`` apart, one per timer tick, so the timer
of another pass (a repaint, a mouse event) gets in between. ``flush()`` runs what is queued now (scripts, tests).
"""

from PyQt6.QtCore import QObject, QTimer


class StaggeredCalls(QObject):
    def __init__(self, interval_ms, parent=None):
        super().__init__(parent)
        self._calls = {}  # key -> callable, in the order queued (a key queued again keeps its place)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._run_next)

    def add(self, key, call):
        """Run ``call()`` at a later tick; a call queued earlier under ``key`` and not run yet is replaced."""
        self._calls[key] = call
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self):
        return len(self._calls)

    def _run_next(self):
        if self._calls:
            key = next(iter(self._calls))
            self._calls.pop(key)()
        if self._calls:
            self._timer.start()

    def flush(self):
        self._timer.stop()
        while self._calls:
            key = next(iter(self._calls))
            self._calls.pop(key)()
