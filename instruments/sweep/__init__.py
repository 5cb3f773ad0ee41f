"""The CW-ODMR acquisition engine (plan in, events out; no Qt)."""

from .engine import SweepEngine, spin_contrast
from .events import StepDone, SweepDone, SweepFailed, SweepFinished, SweepStarted
from .plan import SweepPlan, SweepPlanError
