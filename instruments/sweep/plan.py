"""The sweep plan: what a CW-ODMR acquisition does, checked before anything is sent to an instrument."""

import math
from dataclasses import asdict, dataclass

import numpy as np

SCHEMES = ("software", "alternating")


class SweepPlanError(ValueError):
    """A sweep plan that cannot be run as given."""


@dataclass(frozen=True)
class SweepPlan:
    """A CW-ODMR sweep.

    freq_hz: the frequency steps (Hz), in acquisition order (one window, or two windows for f- and f+).
    pairs_per_step: microwave on/off frame pairs per step (the paper takes 300): one whole number for every
        step, or a sequence of one whole number per step (an adaptive plan that spends its frames where the
        line centre is measured best; see ``analysis.adaptive``).
    n_sweeps: sweeps to average; each adds its pairs to every step's sums.
    exposure_s: camera exposure per frame.
    rf_power_dbm: microwave power at the generator output.
    scheme: "software" (the engine switches the RF output on and off around each frame) or "alternating"
        (the camera's trigger output drives an RF switch: even frames on, odd frames off; the RF output stays on).
    """

    freq_hz: tuple
    pairs_per_step: int | tuple = 300
    n_sweeps: int = 1
    exposure_s: float = 1e-3
    rf_power_dbm: float = 0.0
    scheme: str = "software"

    def __post_init__(self):
        freqs = np.asarray(self.freq_hz, dtype=np.float64)
        object.__setattr__(self, "freq_hz", tuple(float(f) for f in freqs.ravel()))
        if freqs.size < 3:
            raise SweepPlanError(f"a sweep needs at least 3 frequency steps, got {freqs.size}; widen the plan.")
        if not np.all(np.isfinite(freqs)) or np.any(freqs <= 0):
            bad = freqs[~np.isfinite(freqs) | (freqs <= 0)][0]
            raise SweepPlanError(f"frequency step {bad!r} Hz is not a positive finite frequency.")
        if np.ndim(self.pairs_per_step) == 1:
            pairs = tuple(self.pairs_per_step)
            if len(pairs) != freqs.size:
                raise SweepPlanError(f"pairs_per_step has {len(pairs)} entries for {freqs.size} frequency steps; "
                                     "give one pair count per step, or one number for every step.")
            for k, value in enumerate(pairs):
                _require_whole(f"pairs_per_step[{k}]", value, 1)
            object.__setattr__(self, "pairs_per_step", tuple(int(v) for v in pairs))
        else:
            _require_whole("pairs_per_step", self.pairs_per_step, 1)
        _require_whole("n_sweeps", self.n_sweeps, 1)
        if not (math.isfinite(self.exposure_s) and 0 <= self.exposure_s <= 10):
            raise SweepPlanError(f"exposure_s = {self.exposure_s!r} s must be between 0 and 10 s.")
        if not math.isfinite(self.rf_power_dbm):
            raise SweepPlanError(f"rf_power_dbm = {self.rf_power_dbm!r} is not a finite power.")
        if self.scheme not in SCHEMES:
            raise SweepPlanError(f"scheme {self.scheme!r} is not known; use one of {SCHEMES}.")

    @classmethod
    def from_range(cls, start_hz, stop_hz, points, **kwargs):
        """Evenly spaced steps from ``start_hz`` to ``stop_hz`` inclusive."""
        return cls(tuple(np.linspace(start_hz, stop_hz, int(points))), **kwargs)

    @classmethod
    def from_windows(cls, windows, **kwargs):
        """Several windows, e.g. ``[(f_minus_lo, f_minus_hi, 101), (f_plus_lo, f_plus_hi, 101)]``."""
        freqs = np.concatenate([np.linspace(lo, hi, int(n)) for lo, hi, n in windows])
        return cls(tuple(freqs), **kwargs)

    @property
    def n_steps(self):
        return len(self.freq_hz)

    @property
    def frequencies_hz(self):
        return np.asarray(self.freq_hz)

    @property
    def pairs_array(self):
        """(n_steps,) int64 on/off pairs of each step in one sweep."""
        return np.broadcast_to(np.asarray(self.pairs_per_step, dtype=np.int64), (self.n_steps,)).copy()

    def pairs_of_step(self, step_index):
        """On/off pairs that step ``step_index`` takes in each sweep."""
        if isinstance(self.pairs_per_step, tuple):
            return self.pairs_per_step[step_index]
        return int(self.pairs_per_step)

    def check_limits(self, min_frequency_hz, max_frequency_hz, max_power_dbm):
        """Refuse a plan outside the instrument limits before anything is sent."""
        lo, hi = min(self.freq_hz), max(self.freq_hz)
        if lo < min_frequency_hz or hi > max_frequency_hz:
            raise SweepPlanError(
                f"sweep {lo / 1e9:.6f}-{hi / 1e9:.6f} GHz leaves the RF source's range "
                f"{min_frequency_hz / 1e9:.6f}-{max_frequency_hz / 1e9:.6f} GHz (config: rf.min_frequency_hz, "
                "rf.max_frequency_hz); change the plan or the limits.")
        if self.rf_power_dbm > max_power_dbm:
            raise SweepPlanError(
                f"RF power {self.rf_power_dbm} dBm is above the configured limit of {max_power_dbm} dBm "
                "(config: rf.max_power_dbm).")

    def to_dict(self):
        d = asdict(self)
        d["freq_hz"] = list(self.freq_hz)
        if isinstance(self.pairs_per_step, tuple):
            d["pairs_per_step"] = list(self.pairs_per_step)
        return d

    def frames_total(self):
        return 2 * int(self.pairs_array.sum()) * self.n_sweeps


def _require_whole(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float) or int(value) != value \
            or value < minimum:
        raise SweepPlanError(f"{name} = {value!r} must be a whole number >= {minimum}.")
