"""The spectrum view's steady range: follow the data without changing at every new spectrum. Qt-free.

A new range costs the plot a re-layout of both axes (tick positions and texts) on top of its repaint; hovering or
clicking from pixel to pixel gives spectra of almost the same extent, so the range changes only when the data
leave it or fill less than 40 % of its height, and then leaves room around them (15 % of their span above and
below: clicking from pixel to pixel of a live sweep, the axes were laid out anew for one spectrum in 6 instead of
one in 3 with half and 8 %, bench_gui_responsiveness). Left to right the range
spans the sweep's frequencies (``x_extent``), measured or not: during the first sweep each new step would
otherwise widen it (a re-layout at every step, and an axis that jumps while the user reads it).
"""

import numpy as np

FILL_AT_LEAST = 0.4
"""The data must span at least this fraction of the view's height, else the view shrinks to them."""
ROOM = 0.15
"""Room left above and below the data when the height is set, as a fraction of their span."""
X_PADDING = 0.02
"""Padding left and right of the data, as a fraction of their span (pyqtgraph's auto-range uses about this)."""


def _bounds(values):
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else None


def steady_range(current, series, x_extent=None):
    """((x0, x1), (y0, y1)) for the data ``series`` (a list of (x, y) arrays or Nones, as pyqtgraph's
    ``getData()`` gives them), keeping ``current`` (the same form, or None) where it still suits them; None when
    no series has a finite point. ``x_extent``: x values the range must span as well (the sweep's frequencies,
    measured or not yet)."""
    xs, ys = [], []
    for x, y in series:
        if x is None or y is None or len(x) == 0:
            continue
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        xs.append(x[ok])
        ys.append(y[ok])
    y_bounds = _bounds(np.concatenate(ys)) if ys else None
    if x_extent is not None:
        xs.append(np.asarray(x_extent, dtype=np.float64).ravel())
    x_bounds = _bounds(np.concatenate(xs)) if xs else None
    if x_bounds is None or y_bounds is None:
        return None
    (x_lo, x_hi), (y_lo, y_hi) = x_bounds, y_bounds
    pad = X_PADDING * max(x_hi - x_lo, 1e-9 * max(abs(x_lo), 1.0))
    x_range = (x_lo - pad, x_hi + pad)
    if current is not None and np.allclose(current[0], x_range, rtol=1e-9, atol=0.0):
        x_range = current[0]  # the same sweep: the very same range, so nothing changes
    span = max(y_hi - y_lo, 1e-6 * max(abs(y_hi), 1e-12))
    y_range = None if current is None else current[1]
    if y_range is None or y_lo < y_range[0] or y_hi > y_range[1] or span < FILL_AT_LEAST * (y_range[1] - y_range[0]):
        y_range = (y_lo - ROOM * span, y_hi + ROOM * span)
    return (tuple(x_range), tuple(y_range))
