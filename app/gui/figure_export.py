"""A view's plot as a figure: PNG at a chosen width or SVG, drawn by pyqtgraph's exporters from the plot item
(image, axes, colour bar, scale bar), not a screen grab of the widget (no "Show:" box, no title label, not at
the screen's resolution)."""

import contextlib
import os
import sys

import pyqtgraph.exporters as exporters
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsObject

FORMATS = ("png", "svg")


@contextlib.contextmanager
def _svg_groups_for_unpainted(scene):
    """pyqtgraph's SVG exporter exports an item that paints nothing itself (only its children: pyqtgraph's
    ScaleBar) when its class's ``paint`` is ``QGraphicsItem.paint``, but under PyQt6 such a class shows
    ``QGraphicsObject.paint``, which the exporter then calls and which raises NotImplementedError. During the
    export those classes show ``QGraphicsItem.paint``, so they are exported as groups of their children."""
    classes = {type(item) for item in scene.items()}
    patched = [cls for cls in classes
               if next((c for c in cls.__mro__ if "paint" in c.__dict__), None) in (QGraphicsItem, QGraphicsObject)]
    for cls in patched:
        cls.paint = QGraphicsItem.paint
    try:
        yield
    finally:
        for cls in patched:
            del cls.paint


@contextlib.contextmanager
def _svg_paths_without_close():
    """pyqtgraph 0.14's SVG exporter reads each path's ``d`` as space-separated "x,y" pairs, but Qt >= 6.10 ends
    closed paths with " Z" and the export fails (pyqtgraph issue #3485). Qt's closed paths here (frames, bars)
    already end on their first point, so the "Z" is dropped before pyqtgraph reads them, during this export only."""
    module = sys.modules[exporters.SVGExporter.__module__]
    original = module.correctCoordinates

    def tolerant(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", " ".join(t for t in d.split() if t not in ("Z", "z")))
        return original(node, defs, item, options)

    module.correctCoordinates = tolerant
    try:
        yield
    finally:
        module.correctCoordinates = original


def export_plot(plot_item, path, fmt=None, width_px=2000):
    """Write ``plot_item`` (a pyqtgraph ``PlotItem``) to ``path`` as PNG (``width_px`` wide, the height in the
    plot's proportions) or SVG; ``fmt`` from the extension when None. Returns the path written."""
    path = os.fspath(path)
    fmt = (fmt or os.path.splitext(path)[1].lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"a figure is written as PNG or SVG, not {fmt!r}; end the name in .png or .svg.")
    if not path.lower().endswith(f".{fmt}"):
        path += f".{fmt}"
    if fmt == "svg":
        with _svg_paths_without_close(), _svg_groups_for_unpainted(plot_item.scene()):
            exporters.SVGExporter(plot_item).export(path)
    else:
        exporter = exporters.ImageExporter(plot_item)
        exporter.parameters()["width"] = int(width_px)  # the height follows (the exporter keeps the aspect)
        exporter.export(path)
    if not os.path.exists(path):
        raise OSError(f"could not write {path}; check the folder exists and is writable.")
    return path
