"""Where the time goes when the GUI thread stalls: a sampler thread records every thread's Python stack every
millisecond. The sampler needs the GIL to take a sample, so a gap in its own samples is a stretch when some
thread held the GIL; the stacks just before and after the gap say which thread (and which line) it was.

Used by ``bench_gui_responsiveness --diagnose``; Qt-free, no dependencies.
"""

import sys
import threading
import time
import traceback
from collections import Counter


def _short(filename):
    return "/".join(filename.split("/")[-2:])


def _where(frame, depth=4):
    lines = traceback.extract_stack(frame)[-depth:]
    return " <- ".join(f"{_short(fs.filename)}:{fs.lineno} {fs.name}" for fs in reversed(lines))


class GilSampler:
    def __init__(self, period_s=0.001):
        self.period_s = period_s
        self.samples = []  # (t, {thread name: where})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gil-sampler", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(2.0)

    def _run(self):
        me = threading.get_ident()
        while not self._stop.is_set():
            names = {t.ident: t.name for t in threading.enumerate()}
            frames = sys._current_frames()
            now = time.perf_counter()
            self.samples.append((now, {names.get(tid, str(tid)): _where(f) for tid, f in frames.items()
                                       if tid != me}))
            time.sleep(self.period_s)

    def gaps(self, min_gap_s=0.015):
        """(start, length, stacks before, stacks after) of every stretch the sampler could not run."""
        out = []
        for (t0, before), (t1, after) in zip(self.samples, self.samples[1:], strict=False):
            if t1 - t0 >= min_gap_s:
                out.append((t0, t1 - t0, before, after))
        return out

    def report(self, t_origin, min_gap_s=0.015, top=12):
        """Text: the longest gaps, with what every busy thread was doing just before and just after; and the
        total gap time per busy stack (a thread waiting on a lock, a condition or a socket is not busy)."""
        gaps = sorted(self.gaps(min_gap_s), key=lambda g: -g[1])
        holders = Counter()
        lines = [f"GIL sampler: {len(self.samples)} samples, {len(gaps)} gaps >= {min_gap_s * 1e3:.0f} ms, "
                 f"{sum(g[1] for g in gaps) * 1e3:.0f} ms in all"]
        for _t0, length, before, _after in gaps:
            for name, where in before.items():
                if not _idle(where) and name != "MainThread":
                    holders[f"{name.rsplit('_', 1)[0]}: {where}"] += length
        for t0, length, before, after in gaps[:top]:
            busy = [f"{name}: {before[name]}  ->  {after.get(name, '(ended)')}" for name in before
                    if not _idle(before[name]) and not before[name].startswith("benchmarks/")]
            lines.append(f"  {length * 1e3:6.1f} ms at {t0 - t_origin:7.2f} s:")
            lines.extend(f"      {b}" for b in busy)
        lines.append("gap time by the busy (non-GUI) stack before the gap, most first:")
        for where, total in holders.most_common(10):
            lines.append(f"  {total * 1e3:7.1f} ms  {where}")
        return "\n".join(lines)


_IDLE = ("futures/thread.py:81 _worker", "rf/mock_server.py:103", "rf/mock_server.py:118")


def _idle(where):
    """A thread waiting (lock, condition, queue, socket) holds no GIL."""
    return where.startswith(_IDLE) or where.split(" ", 1)[0].endswith(("threading.py:327", "threading.py:331",
                                                                         "threading.py:336", "threading.py:337"))


def main_thread_during(sampler, windows, t_origin, top=4):
    """For each (start, end) window (s from ``t_origin``): how many samples the sampler took in it, and the GUI
    thread's most frequent stacks then (few samples: the process got no CPU; many on one stack: the GUI thread
    was busy there)."""
    lines = []
    for start, end in windows:
        inside = [where.get("MainThread", "-") for t, where in sampler.samples
                  if start <= t - t_origin <= end]
        counts = Counter(inside).most_common(top)
        lines.append(f"  stall {start:6.2f}-{end:6.2f} s ({(end - start) * 1e3:.0f} ms): {len(inside)} samples")
        lines.extend(f"      {n:4d} x {where}" for where, n in counts)
    return "\n".join(lines)
