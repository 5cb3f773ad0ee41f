"""Where the acquisition time goes: a small accumulator of wall-clock seconds per category."""

import time
from contextlib import contextmanager


class TimeLedger:
    """Seconds spent per category ("rf", "camera", "processing", "writing", "paused", ...)."""

    def __init__(self):
        self.seconds = {}
        self.cpu_seconds = {}
        """Process CPU seconds per category (all threads: on a loaded machine, what the work itself costs)."""
        self.counts = {}
        self._t0 = time.perf_counter()

    @contextmanager
    def measure(self, category):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[category] = self.seconds.get(category, 0.0) + time.perf_counter() - t0
            self.cpu_seconds[category] = self.cpu_seconds.get(category, 0.0) + time.process_time() - c0
            self.counts[category] = self.counts.get(category, 0) + 1

    def report(self):
        total = time.perf_counter() - self._t0
        out = {f"{k}_s": v for k, v in self.seconds.items()}
        out["total_s"] = total
        out["other_s"] = max(0.0, total - sum(self.seconds.values()))
        return out
