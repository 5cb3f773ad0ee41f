"""CPU time per thread of this process (Linux ``/proc/self/task``): who used the CPU the GUI thread waited for.

Used by ``bench_gui_responsiveness``; Qt-free. Elsewhere than Linux it reports nothing.
"""

import os
import threading
from pathlib import Path

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def thread_cpu_s():
    """{native thread id: (name, CPU s)}; threads Python does not know (numba's, Qt's) are named by the OS."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for task in Path("/proc/self/task").glob("*") if Path("/proc/self/task").is_dir() else ():
        try:
            stat = (task / "stat").read_text()
            comm = (task / "comm").read_text().strip()
        except OSError:
            continue  # the thread ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        tid = int(task.name)
        out[tid] = (names.get(tid, f"{comm} (native)"), (int(fields[11]) + int(fields[12])) * _TICK_S)
    return out


def cpu_report(before, after, wall_s):
    """Text: the CPU each thread used between two ``thread_cpu_s()`` readings, most first, as a share of the wall
    time; threads with the same name (numba's workers) are summed."""
    used = {}
    for tid, (name, cpu) in after.items():
        used[name] = used.get(name, 0.0) + cpu - before.get(tid, (name, 0.0))[1]
    rows = sorted(((cpu, name) for name, cpu in used.items() if cpu >= 0.05), reverse=True)
    return "CPU per thread over the run: " + ", ".join(f"{name} {cpu:.1f} s ({cpu / wall_s:.0%})" for cpu, name in rows)
