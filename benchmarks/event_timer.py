"""What the GUI thread did in each pass of the event loop: every event Qt delivers is timed (wall clock and the
thread's own CPU time and, on Linux, the time it waited runnable for a CPU), so a long stall reads as "this event
took N ms of CPU" (work to remove or split), "N ms waiting for a CPU" (the scheduler gave the cores to other
threads or processes) or the rest: blocked (on the GIL or a lock).

Used by ``bench_gui_responsiveness --events``. The timing wraps ``QApplication.notify``, which costs a few
microseconds per event of its own.
"""

import time
from collections import defaultdict

from PyQt6.QtCore import QEvent
from PyQt6.QtWidgets import QApplication


def _name(receiver, event):
    kind = event.type().name if hasattr(event.type(), "name") else str(event.type())
    who = type(receiver).__name__
    try:
        parent = receiver.parent() if hasattr(receiver, "parent") else None
    except RuntimeError:  # deleted meanwhile (an animation that finished)
        parent = None
    owner = type(parent).__name__ if parent is not None else ""
    return f"{kind} -> {who}" + (f" (in {owner})" if owner else "")


_SCHEDSTAT = "/proc/thread-self/schedstat"


def _runqueue_wait_s():
    """Seconds this thread has waited runnable for a CPU since it started (Linux schedstat), or 0.0."""
    try:
        with open(_SCHEDSTAT, "rb") as f:
            return int(f.read().split()[1]) * 1e-9
    except (OSError, IndexError, ValueError):
        return 0.0


class TimedApplication(QApplication):
    """A QApplication that records ``(start_s, wall_s, cpu_s, runqueue_s, what, nested paints)`` for every
    top-level event delivery over 1 ms; ``nested paints`` lists ``(what, wall_s, cpu_s)`` of the Paint events
    delivered inside it."""

    def __init__(self, argv):
        super().__init__(argv)
        self.records = []
        self._depth = 0
        self._paints = []
        self._last_end = None  # (perf_counter, thread_time, runqueue wait) when the last top-level event ended

    def notify(self, receiver, event):
        self._depth += 1
        q0 = _runqueue_wait_s() if self._depth == 1 else 0.0
        t0, c0 = time.perf_counter(), time.thread_time()
        if self._depth == 1 and self._last_end is not None and t0 - self._last_end[0] > 2e-3:
            # between two events: Qt's own work, idle waiting (at most until the next timer is due), or waiting
            # for the GIL that calling into Python needs (this method is Python)
            e0, ec, eq = self._last_end
            self.records.append((e0, t0 - e0, c0 - ec, q0 - eq, "(between events: Qt, idle or the GIL)", []))
        try:
            return super().notify(receiver, event)
        finally:
            self._depth -= 1
            wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
            if self._depth == 0:
                if wall > 1e-3:
                    queued = _runqueue_wait_s() - q0
                    self.records.append((t0, wall, cpu, queued, _name(receiver, event), self._paints))
                self._paints = []
                self._last_end = (time.perf_counter(), time.thread_time(), _runqueue_wait_s())
            elif event.type() == QEvent.Type.Paint and wall > 0.5e-3:
                self._paints.append((_name(receiver, event), wall, cpu))

    def report(self, windows, t_origin, top=8):
        """Text: per stall window (start, end in s from ``t_origin``), the events delivered in it; then the event
        kinds with the most CPU time in all."""
        lines = []
        for start, end in windows:
            inside = [r for r in self.records if start - 0.002 <= r[0] - t_origin <= end]
            lines.append(f"  stall {start:6.2f}-{end:6.2f} s ({(end - start) * 1e3:.0f} ms):")
            for t0, wall, cpu, queued, what, paints in sorted(inside, key=lambda r: -r[1])[:top]:
                lines.append(f"    {wall * 1e3:6.1f} ms wall = {cpu * 1e3:5.1f} CPU + {queued * 1e3:5.1f} waiting for "
                             f"a CPU + {(wall - cpu - queued) * 1e3:5.1f} blocked, at {t0 - t_origin:7.3f} s: {what}")
                for p_what, p_wall, p_cpu in sorted(paints, key=lambda p: -p[1])[:4]:
                    lines.append(f"          paint {p_wall * 1e3:5.1f} ms wall, {p_cpu * 1e3:5.1f} ms CPU: {p_what}")
        totals = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for _t0, wall, cpu, _queued, what, _paints in self.records:
            entry = totals[what]
            entry[0] += 1
            entry[1] += cpu
            entry[2] = max(entry[2], cpu)
            entry[3] = max(entry[3], wall)
        walls = sum(r[1] for r in self.records)
        lines.append(f"all events over 1 ms: {walls * 1e3:.0f} ms wall = {sum(r[2] for r in self.records) * 1e3:.0f} "
                     f"CPU + {sum(r[3] for r in self.records) * 1e3:.0f} waiting for a CPU + the rest blocked")
        lines.append("events over 1 ms by CPU time in all (count, total CPU, longest CPU, longest wall):")
        for what, (n, total, longest, longest_wall) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:top]:
            lines.append(f"  {n:5d} x, {total * 1e3:7.0f} ms, {longest * 1e3:5.1f} ms, {longest_wall * 1e3:5.1f} ms: "
                         f"{what}")
        return "\n".join(lines)
