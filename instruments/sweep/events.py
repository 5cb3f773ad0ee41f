"""What the sweep engine emits: the one bus of an acquisition. Plain dataclasses; every subscriber (the session
writer, the live fitter's buffer, the command line's progress bar, tests) hears the same events, in the engine's
thread, in the order they subscribed. As Bluesky's documents: a start (``SweepStarted``), an event per step
(``StepDone``, carrying what a file needs), and a stop (``SweepFinished`` or ``SweepFailed``)."""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SweepStarted:
    """The dark frames are taken, the RF and shutter not yet on: a session file is created here."""

    plan: object
    frame_shape: tuple
    dark_frame_adu: np.ndarray = field(default=None, repr=False)
    """The camera's mean frame with the shutter closed (ADU, float32, ``frame_shape``)."""


@dataclass(frozen=True)
class StepDone:
    """One frequency step of one sweep is complete (its sums include every sweep so far)."""

    step_index: int
    sweep_index: int
    freq_hz: float
    spin_contrast: np.ndarray = field(repr=False)
    """on_sum / off_sum of this step (float32 image)."""
    n_pairs: int
    """Pairs of this step over every sweep so far."""
    steps_done: int
    steps_total: int
    on_sum: np.ndarray = field(default=None, repr=False)
    """This sweep's sum of the step's RF-on frames (ADU, integer image; a writer adds sweeps up)."""
    off_sum: np.ndarray = field(default=None, repr=False)
    """This sweep's sum of the step's RF-off frames (ADU, integer image)."""
    sweep_pairs: int = 0
    """This sweep's pairs of the step."""
    t_start_s: float = float("nan")
    """Unix time (s) when this sweep's step began (frequency set)."""
    t_end_s: float = float("nan")
    """Unix time (s) when its last frame was summed."""


@dataclass(frozen=True)
class SweepDone:
    sweep_index: int


@dataclass(frozen=True)
class SweepFinished:
    status: str
    """"finished" or "aborted"."""
    timing: dict
    reason: str = ""
    """Why it stopped early: "" for a finish or ``abort()``, else e.g. "TerminationRequested: SIGTERM"."""


@dataclass(frozen=True)
class SweepFailed:
    reason: str
    """"<exception type>: <message>"."""
    error: BaseException = field(repr=False)
    timing: dict = field(default_factory=dict)
