"""One line describing the machine a benchmark ran on (goes next to every figure in the docs)."""

import bisect
import os
import platform


def describe_machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, {platform.system()}"


def steal_s(stat_path="/proc/stat"):
    """Seconds of steal time so far, all CPUs together: time in which the hypervisor ran something else on this
    virtual machine's CPUs (the ``steal`` column of ``/proc/stat``). None where the system does not report it.
    On a virtual machine a stall with no work behind it is often this; the difference over a run goes beside
    the run's figures."""
    try:
        with open(stat_path) as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def describe_steal(before_s, after_s):
    """'steal time over the run X ms (...)', or '' where the system does not report steal time."""
    if before_s is None or after_s is None:
        return ""
    return (f"steal time over the run {(after_s - before_s) * 1e3:.0f} ms (all CPUs together; the hypervisor ran "
            "something else on this machine's CPUs)")


def steal_around(steals_s, at_s, k, after_s):
    """Steal time (s) from the start of gap k of a ticking timer to ``after_s`` after its end, or None where not
    reported. ``steals_s`` holds ``steal_s()`` read before the first tick, then after each tick; ``at_s`` the
    ticks' times, so gap k ends at ``at_s[k]``. The guest counts a stolen stretch late, at a timer tick of the
    CPU it was stolen from and in units of 10 ms: hence the window after the gap."""
    if steals_s[k] is None:
        return None
    end = min(bisect.bisect_left(at_s, at_s[k] + after_s), len(at_s) - 1)
    return steals_s[end + 1] - steals_s[k]
