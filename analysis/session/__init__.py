"""Session files (DESIGN section 3): one HDF5 file per measurement, written step by step during the sweep
(SWMR, flushed every step, survives a killed process), read back bit for bit, extended with analysis
results, versioned. The file layout is documented for users in docs/session_files.md.

Acquisition (sweep engine): ``SessionWriter.create(...)``, ``.write_step(...)``, ``.finish(...)``.
Live view from another process: ``SessionReader``. Review: ``read_session(path) -> Session``.
Results: ``write_fit_results``, ``write_background``, ``write_field_map``, ``write_cells``,
``update_sample_metadata``, ``write_calibration``.
Old or broken files: ``migrate_session``, ``recover_session``, ``compact_session``.
"""

from analysis.physics import spin_contrast

from .cells import MODEL_HASH_COLUMN, SNIPPET_MAPS, CellTable, stack_cell_snippets
from .compact import compact_session
from .errors import (
    SessionError,
    SessionExistsError,
    SessionFileError,
    SessionInUseError,
    SessionSchemaError,
    SessionWriteError,
)
from .migrate import MIGRATIONS, migrate_session
from .reader import SessionReader, read_session
from .recover import recover_session
from .results import (
    update_sample_metadata,
    write_background,
    write_calibration,
    write_cells,
    write_field_map,
    write_fit_results,
)
from .schema import FILE_KIND, SCHEMA_VERSION
from .session import MapResult, Session, StepData
from .units import units_from_name
from .writer import SessionWriter

__all__ = [
    "FILE_KIND", "MIGRATIONS", "MODEL_HASH_COLUMN", "SCHEMA_VERSION", "SNIPPET_MAPS", "CellTable", "MapResult",
    "Session", "SessionError", "SessionExistsError", "SessionFileError", "SessionInUseError", "SessionReader",
    "SessionSchemaError", "SessionWriteError", "SessionWriter", "StepData", "compact_session", "migrate_session",
    "read_session", "recover_session", "spin_contrast", "stack_cell_snippets", "units_from_name",
    "update_sample_metadata", "write_background", "write_calibration", "write_cells", "write_field_map",
    "write_fit_results",
]
