"""The seams where parts built elsewhere plug into the app: instruments, ODMR fit and background removal,
session files and per-cell analysis. ``default_seams()`` is the one place that chooses the implementations."""

from app.core.analysis_seams import AnalysisSeams, default_seams
from app.core.cells import CellAnalyzer, CellRow, cell_rows
from app.core.instruments import (
    INSTRUMENT_LABELS,
    INSTRUMENT_NAMES,
    BackendUnavailable,
    InstrumentBackend,
    InstrumentLimits,
    make_backend,
)
from app.core.sessions import FeatureNotAvailable, SessionBackend, UnavailableSessions

# the adapters over analysis.cells and analysis.session: ``cell_analysis.CellAnalysis``,
# ``session_files.H5Sessions`` (imported where used: they load those packages)
