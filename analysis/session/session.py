"""What a session file holds, as plain Python objects: ``Session`` (everything), ``MapResult`` (a group of
analysis maps), ``StepData`` (one frequency step, for live readers)."""

from dataclasses import dataclass, field

import numpy as np

from analysis.physics import spin_contrast

from .cells import CellTable
from .schema import STATUS_RUNNING


@dataclass
class MapResult:
    """A group of analysis arrays (fit maps, background, field map): name -> array, name -> units, and
    the settings that produced them."""

    arrays: dict
    units: dict
    settings: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.arrays[name]

    def __contains__(self, name):
        return name in self.arrays


@dataclass
class StepData:
    """One frequency step as stored (totals over all sweeps written so far)."""

    step_index: int
    freq_hz: float
    on_sum: np.ndarray
    off_sum: np.ndarray
    n_pairs: int
    n_sweeps: int
    last_sweep_index: int
    t_start_s: float
    t_end_s: float
    dark_frame_adu: np.ndarray | None = None

    @property
    def done(self):
        return self.n_sweeps > 0

    def spin_contrast(self):
        return spin_contrast(self.on_sum, self.off_sum, self.n_pairs, self.dark_frame_adu)


@dataclass
class Session:
    """Everything in one session file. Arrays are numpy; dicts are what was stored as JSON.

    Acquisition arrays (n_steps = len(freq_hz); frame = (n_rows, n_cols)):
    on_sum, off_sum (n_steps, n_rows, n_cols) uint64 ADU: sums of the RF-on / RF-off frames of each step
    over all sweeps written; n_pairs (uint64) on/off pairs in those sums; n_sweeps (uint32) sweeps added;
    last_sweep_index (int64, -1 = none); step_done (bool) = n_sweeps > 0; t_start_s, t_end_s (float64,
    Unix time in s, NaN before the first write) of the latest write to the step.
    """

    path: str
    schema_version: int
    """Schema of the file as stored (older files are upgraded in memory to the current layout)."""
    app_version: str
    created_utc: str
    status: str
    """'running' (being written, or its writer died: see recover_session), 'finished', 'aborted',
    'failed', or 'interrupted' (a dead writer's file after recover_session)."""
    status_reason: str
    finished_utc: str
    instrument_settings: dict
    plan: dict
    sample_metadata: dict
    freq_hz: np.ndarray
    window_index: np.ndarray
    on_sum: np.ndarray
    off_sum: np.ndarray
    n_pairs: np.ndarray
    n_sweeps: np.ndarray
    last_sweep_index: np.ndarray
    step_done: np.ndarray
    t_start_s: np.ndarray
    t_end_s: np.ndarray
    fit: MapResult | None = None
    background: MapResult | None = None
    field_map: MapResult | None = None
    cells: CellTable | None = None
    models: dict = field(default_factory=dict)
    """model_sha256 -> model card (dict) of every model named by a stored result."""
    truth: dict | None = None
    """Ground truth of a simulated session (name -> array or JSON value), None for real measurements."""
    truth_units: dict = field(default_factory=dict)
    dark_frame_adu: np.ndarray | None = None
    """Mean camera frame with the shutter closed (ADU), taken before the sweep; None if not recorded."""

    @property
    def calibration(self):
        """The ``analysis.calibration.Calibration`` recorded in the file; for an older file what it recorded
        (its pixel size) with the old default NV azimuth, ``source`` saying 'assumed'."""
        from analysis.calibration import Calibration  # analysis.calibration does not import the session

        return Calibration.from_session(self)

    @property
    def n_steps(self):
        return int(self.freq_hz.shape[0])

    @property
    def frame_shape(self):
        return tuple(int(n) for n in self.on_sum.shape[1:])

    @property
    def n_steps_completed(self):
        return int(np.count_nonzero(self.step_done))

    @property
    def is_running_or_interrupted(self):
        """True while the writer is still at work, or when it died without finishing."""
        return self.status == STATUS_RUNNING

    def spin_contrast(self):
        """(on - n dark) / (off - n dark) per step as float64 (n_steps, n_rows, n_cols); NaN for steps without
        pairs (``analysis.physics.spin_contrast``)."""
        return spin_contrast(self.on_sum, self.off_sum, self.n_pairs, self.dark_frame_adu)
