"""The live views (one per file); they are pulled by the window's timer and never block."""
