"""The GUI thread's CPU for a click on a pixel and for each view's repaint, on the main window after a sweep.

A live sweep's event-loop stalls (``bench_gui_responsiveness``) are the GUI thread's own work stretched by the CPU
it does not get; this measures that work alone, best on a quiet machine. Runs the main window offscreen on the
virtual microscope, finishes a short sweep with the live fit, then repeats: a click on a random pixel
(``window.pin_pixel``: the spectrum and its fit redrawn) and the repaint pass after it, and one full repaint of
each view (camera frame, spin contrast, field map, spectrum). Prints the median and 90th percentile of the GUI
thread's CPU time (``time.thread_time``) for each.

Run: ``QT_QPA_PLATFORM=offscreen python -m benchmarks.bench_view_cpu [--repeats 60]``
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from app.gui import theme  # first: the app package's thread settings apply before numpy loads

# isort: split

import numpy as np
from PyQt6.QtWidgets import QApplication

from app.gui.gui_main import delete_window
from benchmarks.bench_gui_responsiveness import open_window
from benchmarks.machine import describe_machine


def cpu_ms(action):
    """The GUI thread's CPU for ``action()``, in ms."""
    t0 = time.thread_time()
    action()
    return (time.thread_time() - t0) * 1e3


def settle(app, seconds):
    """Let queued view work (the click's markers, one per refresh tick) run, outside any measurement."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=60, help="clicks and repaints of each view")
    parser.add_argument("--size", type=int, default=256, help="frame rows = cols")
    parser.add_argument("--points", type=int, default=31, help="steps of the sweep before the measurement")
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args(argv)
    for name, value, least in (("--repeats", args.repeats, 1), ("--size", args.size, 16),
                               ("--points", args.points, 2), ("--pairs", args.pairs, 1)):
        if value < least:
            parser.error(f"{name} must be at least {least}, not {value:g}")
    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        window = open_window(app, tmp, args.size, args.pairs, args.points)
        window.start_sweep()
        deadline = time.monotonic() + 300
        while (window.controller.running or window.controller.fitter.busy) and time.monotonic() < deadline:
            settle(app, 0.05)
        settle(app, 0.5)  # the final fit reaches the views
        status = window.controller.snapshot().status
        views = {"camera frame": window.camera_view.graphics, "spin contrast": window.contrast_view.graphics,
                 "field map": window.field_view.view.graphics, "spectrum": window.spectrum_view.plot_widget}
        times = {"click (pin_pixel)": [], "the click's repaint": [], **{f"repaint {name}": [] for name in views}}
        for _ in range(args.repeats):
            row, col = (int(x) for x in rng.integers(args.size, size=2))
            times["click (pin_pixel)"].append(cpu_ms(lambda r=row, c=col: window.pin_pixel(r, c)))
            times["the click's repaint"].append(cpu_ms(app.processEvents))
            settle(app, 0.06)
            for name, widget in views.items():
                widget.viewport().update()
                times[f"repaint {name}"].append(cpu_ms(app.processEvents))
        delete_window(window)
    print(f"machine: {describe_machine()}; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"after a sweep of {args.points} steps x {args.pairs} pairs on {args.size}x{args.size} frames "
          f"(status {status}); GUI thread CPU over {args.repeats} repeats, median / 90th percentile:")
    for name, values in times.items():
        print(f"  {name:24s} {np.median(values):6.2f} / {np.percentile(values, 90):6.2f} ms")
    total = np.median(times["click (pin_pixel)"]) + np.median(times["the click's repaint"])
    print(f"  a click with its repaint {total:6.2f} ms (medians added)")


if __name__ == "__main__":
    main()
