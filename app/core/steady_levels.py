"""Steady colour levels for a live image view: follow the data without a new colour scale at every frame. Qt-free.

New levels cost the view a re-layout of its colour bar's axis (tick positions and texts) on top of the repaint;
successive camera frames have almost the same robust levels, and the spin contrast of a sweep's steps moves
within a band (darker on resonance). So the levels change only when the data leave them, and then widen to
hold both (the scale settles on the sweep's whole band after a few steps), or when the data fill less than a third
of that, and then shrink to the data; new levels leave a little room. A steady scale is also easier to read: a
colour means the same value from one step to the next, and a step on resonance reads darker than one off it.
"""

FILL_AT_LEAST = 1.0 / 3.0
"""The data's levels must span at least this fraction of the shown levels, else the levels shrink to them. A
third: a sweep's spin contrast moves by about its own spread (noise) between steps on and off resonance, so the
band that holds them all is 2-3 spreads wide (half would shrink and widen again every few steps)."""
ROOM = 0.05
"""Room added below and above the data's levels when new levels are set, as a fraction of their span."""


def steady_levels(current, wanted):
    """(lo, hi) colour levels to show for an image whose robust levels are ``wanted`` (lo, hi), keeping
    ``current`` (lo, hi, or None: none yet) while it still suits them, widening it to hold the data when they
    leave it. Symmetric levels (-L, L) stay symmetric."""
    lo, hi = float(wanted[0]), float(wanted[1])
    span = hi - lo
    if current is None:
        return lo - ROOM * span, hi + ROOM * span
    old_lo, old_hi = float(current[0]), float(current[1])
    both_lo, both_hi = min(lo, old_lo), max(hi, old_hi)
    if span < FILL_AT_LEAST * (both_hi - both_lo):
        return lo - ROOM * span, hi + ROOM * span  # the data fill too little of it: their own scale
    if (both_lo, both_hi) == (old_lo, old_hi):
        return old_lo, old_hi  # inside: the same scale
    return (both_lo - ROOM * span if lo < old_lo else old_lo), (both_hi + ROOM * span if hi > old_hi else old_hi)
