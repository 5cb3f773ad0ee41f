"""argparse types that refuse a value the command cannot use, saying the value and what to give instead.

argparse turns the ``ArgumentTypeError`` into "nvscope acquire: error: argument --cells: ..." on the
sub-command's usage, exit code 2, no traceback. Checks that need several options (a window's range, the plan's
limits, memory and duration) are made by the command itself (``app.core.sweep_form``, ``app.core.run_estimate``).
"""

import argparse
import math


def whole(minimum, maximum=None, what="a whole number"):
    """An int type for counts: ``whole(1)`` for pairs, ``whole(0)`` for cells."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}; give a whole number of {minimum} or more "
                                             "(digits only, no '1e6')") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
            raise argparse.ArgumentTypeError(f"{value} is not allowed; give a whole number {bound}")
        return value

    parse.__name__ = "whole number"
    return parse


def finite(minimum=None, maximum=None, strictly_above=None):
    """A float type that refuses nan, inf and values outside the bounds."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number; give an ordinary number")
        if strictly_above is not None and value <= strictly_above:
            raise argparse.ArgumentTypeError(f"{value:g} is not allowed; give a number above {strictly_above:g}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            lo = "" if minimum is None else f"of at least {minimum:g}"
            hi = "" if maximum is None else f"at most {maximum:g}"
            bounds = " and ".join(filter(None, (lo, hi)))
            raise argparse.ArgumentTypeError(f"{value:g} is not allowed; give a number {bounds}")
        return value

    parse.__name__ = "number"
    return parse


def ordered_pair(option, values, unit=""):
    """(min, max) from a two-value option, or ValueError when min > max."""
    lo, hi = values
    if lo > hi:
        raise ValueError(f"{option} {lo:g} {hi:g}: MIN is above MAX; give MIN <= MAX{' in ' + unit if unit else ''}.")
    return lo, hi


def fill_defaults(args, preset):
    """Set each option of ``preset`` (name -> value) that was left out (None): ``--quick`` or the defaults."""
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
