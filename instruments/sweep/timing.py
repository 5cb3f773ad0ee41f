"""Where the acquisition time goes: a small accumulator of wall-clock seconds per category."""

import time


class _Measure:
    """The context manager of ``TimeLedger.measure``: a plain class, not ``contextlib.contextmanager`` (a
    generator per use), because the software on/off scheme enters five of these per frame pair."""

    __slots__ = ("_ledger", "_category", "_t0", "_c0")

    def __init__(self, ledger, category):
        self._ledger, self._category = ledger, category

    def __enter__(self):
        self._t0, self._c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        ledger, category = self._ledger, self._category
        ledger.seconds[category] = ledger.seconds.get(category, 0.0) + time.perf_counter() - self._t0
        ledger.cpu_seconds[category] = ledger.cpu_seconds.get(category, 0.0) + time.process_time() - self._c0
        ledger.counts[category] = ledger.counts.get(category, 0) + 1
        return False


class TimeLedger:
    """Seconds spent per category ("rf", "camera", "processing", "writing", "paused", ...)."""

    def __init__(self):
        self.seconds = {}
        self.cpu_seconds = {}
        """Process CPU seconds per category (all threads: on a loaded machine, what the work itself costs)."""
        self.counts = {}
        self._t0 = time.perf_counter()

    def measure(self, category):
        """``with ledger.measure("rf"): ...`` adds the block's wall-clock and CPU seconds to ``category``."""
        return _Measure(self, category)

    def report(self):
        total = time.perf_counter() - self._t0
        out = {f"{k}_s": v for k, v in self.seconds.items()}
        out["total_s"] = total
        out["other_s"] = max(0.0, total - sum(self.seconds.values()))
        return out
