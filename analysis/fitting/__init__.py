"""Generic least-squares fitting: one numba Levenberg-Marquardt core with plug-in models (see ``lm``)."""

from .batch import DEFAULT_MAX_ITER, DEFAULT_TOL_CHI2, LmFitResult, fit_many
from .lm import (
    MODEL_SIGNATURE,
    MODEL_TYPE,
    STATUS_AT_BOUND,
    STATUS_CONVERGED,
    lm_fit,
    lm_fit_batch,
    lm_model,
)

__all__ = [
    "DEFAULT_MAX_ITER",
    "DEFAULT_TOL_CHI2",
    "MODEL_SIGNATURE",
    "MODEL_TYPE",
    "STATUS_AT_BOUND",
    "STATUS_CONVERGED",
    "LmFitResult",
    "fit_many",
    "lm_fit",
    "lm_fit_batch",
    "lm_model",
]
