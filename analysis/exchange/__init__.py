"""Data in and out of nvscope sessions, without Qt (docs/import_export.md).

Import: ``import_cube(source, out, cube_var=, freq=, freq_var=, freq_units=, pixel_size_um=)`` and
``import_field_map(source, out, units=, pixel_size_um=, map_var=)`` write a new session file.
CLI: ``nvscope import`` / ``nvscope export`` (app/cli/exchange.py).
Export: ``export_field_map``, ``export_fit_maps``, ``export_cells`` (or ``export_session(path, out, what)``)
write float32 TIFF (ImageJ pixel size), MATLAB .mat or CSV. Errors: ``ExchangeError`` (a ValueError) and
its subclasses.
"""

from .errors import (
    EmptyDataError,
    ExchangeError,
    FrequencyOrderError,
    MissingVariableError,
    ShapeError,
    SourceNotFoundError,
    UnitsError,
    UnsupportedFormatError,
)
from .exporting import export_cells, export_field_map, export_fit_maps, export_session
from .importing import ImportReport, import_cube, import_field_map
from .units import FREQ_RULE

__all__ = [
    "FREQ_RULE", "EmptyDataError", "ExchangeError", "FrequencyOrderError", "ImportReport", "MissingVariableError",
    "ShapeError", "SourceNotFoundError", "UnitsError", "UnsupportedFormatError", "export_cells",
    "export_field_map", "export_fit_maps", "export_session", "import_cube", "import_field_map",
]
