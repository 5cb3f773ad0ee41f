"""A plain-text progress bar for the command line (stderr; a line per 10 % when not on a terminal)."""

import sys
import time


class ProgressBar:
    def __init__(self, total, label="", stream=None, width=30):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.t0 = time.monotonic()
        self.done = 0
        self._last_decile = -1
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def restart(self, total, label=None):
        """Count a new part (the next pass of an adaptive sweep) from zero."""
        self.total, self.done, self._last_decile = max(int(total), 1), 0, -1
        self.label = self.label if label is None else label

    def update(self, done, note=""):
        self.done = done
        fraction = min(done / self.total, 1.0)
        elapsed = time.monotonic() - self.t0
        left = elapsed / fraction - elapsed if fraction > 0 else float("nan")
        filled = int(round(self.width * fraction))
        text = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {100 * fraction:5.1f}% "
                f"{done}/{self.total}  {_clock(elapsed)} elapsed, {_clock(left)} left {note}")
        if self._tty:
            self.stream.write("\r" + text)
            self.stream.flush()
        elif int(10 * fraction) > self._last_decile:
            self._last_decile = int(10 * fraction)
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self):
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds):
    if seconds != seconds:  # NaN: unknown yet
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"
