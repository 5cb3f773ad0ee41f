"""Per-cell analysis: CNN inference on 32 x 32 snippets (detection and physics refinement join here)."""

from .cnn import CellCNN, CellModelError, default_model_path

__all__ = ["CellCNN", "CellModelError", "default_model_path"]
