"""What the sweep engine emits. Plain dataclasses: the GUI, the CLI and tests all listen the same way."""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SweepStarted:
    plan: object
    frame_shape: tuple


@dataclass(frozen=True)
class StepDone:
    """One frequency step of one sweep is complete (its sums include every sweep so far)."""

    step_index: int
    sweep_index: int
    freq_hz: float
    spin_contrast: np.ndarray = field(repr=False)
    """on_sum / off_sum of this step (float32 image)."""
    n_pairs: int
    steps_done: int
    steps_total: int


@dataclass(frozen=True)
class SweepDone:
    sweep_index: int


@dataclass(frozen=True)
class SweepFinished:
    status: str
    """"finished" or "aborted"."""
    timing: dict


@dataclass(frozen=True)
class SweepFailed:
    reason: str
    error: BaseException = field(repr=False)
    timing: dict = field(default_factory=dict)
