"""Per-pixel CW-ODMR fitting: resonance maps -> B_NV map, with standard errors and quality flags.

``fit_odmr(cube, freq_hz, model="15N", transitions=1, ...)`` is the entry point (see ``fit``); the models
are in ``models``, the starting values in ``guess``, the parallel per-pixel loop in ``driver``, and the
fitting itself is the shared Levenberg-Marquardt core of ``analysis.fitting``.
"""

from .fit import BRANCHES, fit_odmr
from .models import MODELS, model_offsets_hz, odmr_model, parameter_names
from .result import (
    AT_BOUND,
    FLAG_NAMES,
    INVALID_DATA,
    LOW_CONTRAST,
    MASKED,
    NOT_CONVERGED,
    OdmrFitResult,
    describe_flags,
)

__all__ = [
    "AT_BOUND", "BRANCHES", "FLAG_NAMES", "INVALID_DATA", "LOW_CONTRAST", "MASKED", "MODELS", "NOT_CONVERGED",
    "OdmrFitResult", "describe_flags", "fit_odmr", "model_offsets_hz", "odmr_model", "parameter_names",
]
