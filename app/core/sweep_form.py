"""The sweep settings as the user types them (strings, display units) -> a checked ``SweepPlan``. Qt-free.

Every field is checked as typed; ``parse_sweep_form`` returns the plan (or None) and, per field, the reason it
is not acceptable, so the panel can highlight exactly that field and say why.
"""

import math
from dataclasses import dataclass, field

from app.core.adaptive_plan import FIRST_PASS_SHARE, first_pass_plan
from instruments.sweep import SweepPlan, SweepPlanError
from instruments.sweep.plan import SCHEMES

ONE_WINDOW = "one window"
TWO_WINDOWS = "two windows (f- and f+)"
MODES = (ONE_WINDOW, TWO_WINDOWS)
UNIFORM = "uniform"
ADAPTIVE = "adaptive"
SAMPLINGS = (UNIFORM, ADAPTIVE)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    unit: str
    default: str
    tooltip: str


# defaults: the two transitions of the paper's 30 mT bias (f-/+ = D -/+ gamma B = 2029.25 / 3710.75 MHz), +-5 MHz
FIELDS = (
    FieldSpec("w1_start_mhz", "Start", "MHz", "2024.25", "first frequency of the (f-) window"),
    FieldSpec("w1_stop_mhz", "Stop", "MHz", "2034.25", "last frequency of the (f-) window"),
    FieldSpec("w1_points", "Points", "", "61", "frequency steps in the window (at least 3)"),
    FieldSpec("w2_start_mhz", "Start", "MHz", "3705.75", "first frequency of the f+ window"),
    FieldSpec("w2_stop_mhz", "Stop", "MHz", "3715.75", "last frequency of the f+ window"),
    FieldSpec("w2_points", "Points", "", "61", "frequency steps in the f+ window (at least 3)"),
    FieldSpec("pairs", "Pairs per step", "", "10", "microwave on/off frame pairs per frequency step (paper: 300)"),
    FieldSpec("sweeps", "Sweeps", "", "1", "sweeps to average; each adds its pairs to every step"),
    FieldSpec("exposure_ms", "Exposure", "ms", "1.0", "camera exposure per frame"),
    FieldSpec("power_dbm", "RF power", "dBm", "0.0", "microwave power at the generator output"),
    FieldSpec("first_share", "First pass share", "", f"{FIRST_PASS_SHARE:g}",
              "adaptive sampling: share of the frames the uniform first pass spends (docs/adaptive.md)"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
DEFAULTS = {"mode": ONE_WINDOW, "scheme": SCHEMES[0], "sampling": UNIFORM, **{f.key: f.default for f in FIELDS}}


@dataclass(frozen=True)
class SweepForm:
    plan: SweepPlan = None
    window_sizes: tuple = ()
    errors: dict = field(default_factory=dict)
    """field key (or "plan") -> the reason it is not acceptable."""
    adaptive_share: float = None
    """Adaptive sampling: the first pass's share of the frames (``plan`` is the uniform sweep whose frames the
    adaptive run spends); None for a uniform sweep."""
    first_pass: SweepPlan = None

    @property
    def valid(self):
        return self.plan is not None and not self.errors

    def summary(self):
        if not self.valid:
            return "; ".join(self.errors.values())
        p = self.plan
        exposure_s = p.frames_total() * p.exposure_s
        if self.adaptive_share is not None:
            f = self.first_pass
            return (f"adaptive: a uniform first pass of {f.n_steps} steps x {f.pairs_array[0]} pairs, then the "
                    f"planned frequencies; {p.frames_total()} frames in all (as {p.n_steps} uniform steps), at "
                    f"least {exposure_s:.1f} s of exposure")
        return (f"{p.n_steps} steps x {p.n_sweeps} sweep(s), {p.frames_total()} frames, "
                f"at least {exposure_s:.1f} s of exposure")


def _number(text, key, errors, integer=False):
    spec = FIELD_BY_KEY[key]
    unit = f" {spec.unit}" if spec.unit else ""
    try:
        value = float(str(text).strip())
    except ValueError:
        errors[key] = f"{spec.label}: '{text}' is not a number{' (in' + unit + ')' if unit else ''}."
        return None
    if not math.isfinite(value):
        errors[key] = f"{spec.label}: {text} is not a finite number."
        return None
    if integer and value != int(value):
        errors[key] = f"{spec.label}: {text} must be a whole number."
        return None
    return int(value) if integer else value


def _check_range(key, value, lo, hi, errors, limit_name="", config_key=""):
    """"RF power: 25 dBm is above the configured limit of 10 dBm (config: rf.max_power_dbm)." and the like."""
    if value is None or lo <= value <= hi:
        return
    spec = FIELD_BY_KEY[key]
    unit = f" {spec.unit}" if spec.unit else ""
    side, bound = ("above", hi) if value > hi else ("below", lo)
    name = limit_name or ("maximum" if side == "above" else "minimum")
    where = f" (config: {config_key})" if config_key else ""
    errors[key] = f"{spec.label}: {value:g}{unit} is {side} the {name} of {bound:g}{unit}{where}."


def parse_sweep_form(values, limits):
    """``values``: key -> text (as typed) plus "mode" and "scheme"; ``limits``: an ``InstrumentLimits``."""
    values = {**DEFAULTS, **values}
    errors = {}
    two = values["mode"] == TWO_WINDOWS
    f_lo_mhz, f_hi_mhz = limits.min_frequency_hz / 1e6, limits.max_frequency_hz / 1e6
    windows = []
    for prefix in ("w1", "w2") if two else ("w1",):
        start = _number(values[f"{prefix}_start_mhz"], f"{prefix}_start_mhz", errors)
        stop = _number(values[f"{prefix}_stop_mhz"], f"{prefix}_stop_mhz", errors)
        points = _number(values[f"{prefix}_points"], f"{prefix}_points", errors, integer=True)
        for key in (f"{prefix}_start_mhz", f"{prefix}_stop_mhz"):
            value = start if key.endswith("start_mhz") else stop
            side = "max" if value is not None and value > f_hi_mhz else "min"
            _check_range(key, value, f_lo_mhz, f_hi_mhz, errors, f"RF source's {side}imum frequency",
                         f"rf.{side}_frequency_hz")
        _check_range(f"{prefix}_points", points, 3, 10001, errors)
        if start is not None and stop is not None and stop <= start and f"{prefix}_stop_mhz" not in errors:
            errors[f"{prefix}_stop_mhz"] = f"Stop ({stop:g} MHz) must be above Start ({start:g} MHz)."
        windows.append((start, stop, points))
    pairs = _number(values["pairs"], "pairs", errors, integer=True)
    _check_range("pairs", pairs, 1, 100000, errors)
    sweeps = _number(values["sweeps"], "sweeps", errors, integer=True)
    _check_range("sweeps", sweeps, 1, 10000, errors)
    exposure_ms = _number(values["exposure_ms"], "exposure_ms", errors)
    _check_range("exposure_ms", exposure_ms, 1e-3, limits.max_exposure_s * 1e3, errors)
    power = _number(values["power_dbm"], "power_dbm", errors)
    _check_range("power_dbm", power, -150.0, limits.max_power_dbm, errors,
                 "configured limit" if power is not None and power > limits.max_power_dbm else "",
                 "rf.max_power_dbm" if power is not None and power > limits.max_power_dbm else "")
    if values["scheme"] not in SCHEMES:
        errors["scheme"] = f"scheme {values['scheme']!r} is not known; use one of {SCHEMES}."
    adaptive = values["sampling"] == ADAPTIVE
    share = _number(values["first_share"], "first_share", errors) if adaptive else None
    if adaptive:
        _check_range("first_share", share, 0.05, 0.9, errors)
        if sweeps is not None and sweeps != 1:
            errors["sweeps"] = (f"Sweeps: {sweeps}; an adaptive sweep runs each pass once: give the frames as "
                                "pairs per step.")
    if two and not errors and windows[1][0] <= windows[0][1]:
        errors["w2_start_mhz"] = "the f+ window must lie above the f- window (Start above the first window's Stop)."
    if errors:
        return SweepForm(errors=errors)
    kwargs = dict(pairs_per_step=pairs, n_sweeps=sweeps, exposure_s=exposure_ms * 1e-3, rf_power_dbm=power,
                  scheme=values["scheme"])
    try:
        plan = SweepPlan.from_windows([(a * 1e6, b * 1e6, n) for a, b, n in windows], **kwargs)
        plan.check_limits(limits.min_frequency_hz, limits.max_frequency_hz, limits.max_power_dbm)
    except SweepPlanError as exc:
        return SweepForm(errors={"plan": str(exc)})
    sizes = tuple(n for _, _, n in windows)
    if not adaptive:
        return SweepForm(plan=plan, window_sizes=sizes)
    try:
        first, _ = first_pass_plan(plan, sizes, share)
    except SweepPlanError as exc:
        return SweepForm(errors={"pairs": str(exc)})
    return SweepForm(plan=plan, window_sizes=sizes, adaptive_share=share, first_pass=first)
