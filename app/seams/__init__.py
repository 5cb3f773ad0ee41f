"""The seams where parts built elsewhere plug into the app: instruments, ODMR fit and background removal,
session files and per-cell analysis. ``default_seams()`` is the one place that chooses the implementations."""

from .analysis_seams import AnalysisSeams, default_seams
from .cells import CellAnalyzer, CellRow, cell_rows
from .instruments import (
    INSTRUMENT_LABELS,
    INSTRUMENT_NAMES,
    BackendUnavailable,
    InstrumentBackend,
    InstrumentLimits,
    make_backend,
)
from .sessions import FeatureNotAvailable, SessionBackend, UnavailableSessions

# the adapters over analysis.cells and analysis.session: ``cell_analysis.CellAnalysis``,
# ``session_files.H5Sessions`` (imported where used: they load those packages)
