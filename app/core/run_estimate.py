"""How long a sweep takes and how much memory it needs, estimated before it starts (Qt-free).

The figures are calibrated on the mock chain (virtual microscope, 2-core AMD EPYC, under load): 101 steps x 300
pairs at 256 x 256 px and 1 ms took 5 min 45 s (5.7 ms a frame: exposure, ~4.3 ms of simulation per 65,536
pixels, overhead); a 512 x 512 x 201-step acquisition with live fitting peaked at 1462 MB
(``benchmarks/bench_acquisition``). Real cameras differ; the estimate is a warning, not a promise.
"""

import os

FRAME_OVERHEAD_S = 0.3e-3
SECONDS_PER_PIXEL_FRAME = 65e-9
BYTES_PER_PIXEL_STEP = 24  # float32 cube, on/off sums, the fitter's copies
BYTES_PER_PIXEL_FIXED = 400  # maps, frames in flight
MAX_RUN_S = 86400.0


def sweep_duration_s(plan, n_pixels):
    """Estimated wall time of ``plan`` (a ``SweepPlan``) on frames of ``n_pixels`` pixels."""
    frame_s = plan.exposure_s + FRAME_OVERHEAD_S + n_pixels * SECONDS_PER_PIXEL_FRAME
    return plan.frames_total() * frame_s


def sweep_memory_bytes(n_steps, n_pixels):
    return n_pixels * (BYTES_PER_PIXEL_STEP * n_steps + BYTES_PER_PIXEL_FIXED)


def machine_memory_bytes():
    """Physical memory of this machine (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def duration_text(seconds):
    """'about 5 min 45 s', '2 h 10 min', '12 s'."""
    seconds = max(int(round(seconds)), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def check_run(plan, n_rows, n_cols, memory_bytes=None):
    """(estimated seconds, one line to print), or ValueError for a run that needs more memory than the machine
    has or lasts over a day, with the estimate and what to change."""
    n_pixels = n_rows * n_cols
    need = sweep_memory_bytes(plan.n_steps, n_pixels)
    have = machine_memory_bytes() if memory_bytes is None else memory_bytes
    if have is not None and need > have:
        raise ValueError(f"{n_rows} x {n_cols} px x {plan.n_steps} steps needs about {need / 1e9:.1f} GB of memory "
                         f"and this machine has {have / 1e9:.1f} GB; use a smaller --size or fewer points.")
    seconds = sweep_duration_s(plan, n_pixels)
    what = (f"{plan.n_steps} steps x {plan.pairs_per_step} pairs"
            + (f" x {plan.n_sweeps} sweeps" if plan.n_sweeps > 1 else ""))
    if seconds > MAX_RUN_S:
        raise ValueError(f"this run would take about {duration_text(seconds)} ({what}, {n_rows} x {n_cols} px), over "
                         "a day; use fewer --pairs, --sweeps or points (a long study is better run as several "
                         "sessions).")
    return seconds, f"about {duration_text(seconds)}: {what}; Ctrl-C stops and keeps the completed steps"
