"""The window's control panels (one per file)."""
