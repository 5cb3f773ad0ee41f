"""PNG export of a view (what it shows on screen, at the screen's resolution)."""

from PyQt6.QtWidgets import QFileDialog


def export_png(window, widget, name, path=None):
    """Save ``widget`` as a PNG at ``path`` (asks when None); returns the path, or None if cancelled."""
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, f"Export the {name} as PNG", f"{name.replace(' ', '_')}.png",
                                              "PNG image (*.png)")
        if not path:
            return None
    path = str(path) if str(path).lower().endswith(".png") else f"{path}.png"
    if not widget.grab().save(path, "PNG"):
        raise OSError(f"could not write {path}; check the folder exists and is writable.")
    window.statusBar().showMessage(f"{name} saved as {path}")
    return path
