"""Adaptive CW-ODMR sweeps: spend the frames on the flanks of the lines, where the line centre is measured.

``plan_adaptive_sweep(fit, window_hz, total_pairs, ...)`` -> ``AdaptivePlan`` (sorted frequencies, pairs per
step) from a fit of a first pass or of an earlier session; ``combine_passes`` (with ``session_pass`` for a
session file) puts the passes together for one weighted fit; ``fisher`` holds the information formula the plan
optimises (see docs/adaptive.md).
"""

from .combine import combine_passes, first_pass_of, session_pass, session_passes
from .planner import AdaptivePlan, AdaptivePlanError, plan_adaptive_sweep, plan_from_lines

__all__ = ["AdaptivePlan", "AdaptivePlanError", "combine_passes", "first_pass_of", "plan_adaptive_sweep",
           "plan_from_lines", "session_pass", "session_passes"]
