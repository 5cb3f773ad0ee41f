"""Per-cell analysis (DESIGN section 1, ``cells``): dipole detection, 32 x 32 snippets, CNN inference, physics
refinement (hybrid), normalised field. The public entry point is ``analyze_field_map``; docs/cells.md."""

from . import flags
from .analyze import CellResult, analyze_field_map
from .cnn import CellCNN, CellModelError, default_model_path
from .detection import Detection, detect_cells, map_noise_t
from .flags import FLAG_NAMES, flag_names
from .refine import SnippetFits, naive_start, refine_snippets

__all__ = [
    "FLAG_NAMES",
    "CellCNN",
    "CellModelError",
    "CellResult",
    "Detection",
    "SnippetFits",
    "analyze_field_map",
    "default_model_path",
    "detect_cells",
    "flag_names",
    "flags",
    "map_noise_t",
    "naive_start",
    "refine_snippets",
]
