"""Updates that run one per tick of the window's timer instead of all in the pass that asked for them.

Each update that changes a view makes Qt repaint it; several in one pass of the event loop (a click that moves the
pinned-pixel marker on three maps, the Start button that clears the previous sweep's results) add up to one long
stall on a busy machine. Queued here, the window's timer runs one per tick (``run_one``), so other events (a
repaint, a mouse event, the next tick) get in between. ``flush()`` runs what is queued now (scripts, tests).
"""


class StaggeredCalls:
    def __init__(self):
        self._calls = {}  # key -> callable, in the order queued (a key queued again keeps its place)

    def add(self, key, call):
        """Run ``call()`` at a later tick; a call queued earlier under ``key`` and not run yet is replaced."""
        self._calls[key] = call

    @property
    def pending(self):
        return len(self._calls)

    def run_one(self):
        """Run the oldest queued call; False when none was queued."""
        if not self._calls:
            return False
        self._calls.pop(next(iter(self._calls)))()
        return True

    def flush(self):
        while self.run_one():
            pass
