"""The labelling study's figures as pyqtgraph widgets (used by the HTML report and by the study tab).

Each builder takes a ``analysis.study.StudyResult`` and returns a ``pg.GraphicsLayoutWidget``; nothing here
computes statistics. Displayed units: um, uT, pg, ug/ml.
"""

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore

UT = 1e6
UM = 1e6
PG = 1e12
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_MODEL_PENS = {"exponential": pg.mkPen("#d62728", width=2), "langmuir": pg.mkPen("#1f77b4", width=2,
                                                                                 style=QtCore.Qt.PenStyle.DashLine)}


def colour(i):
    return _PALETTE[i % len(_PALETTE)]


def _layout(width, height, title=None):
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.resize(width, height)
    if title:
        widget.addLabel(f"<b>{title}</b>", colspan=10, color="k", size="12pt")
        widget.nextRow()
    return widget


def _style(plot, x_label, y_label):
    for side in ("left", "bottom"):
        plot.getAxis(side).setPen("k")
        plot.getAxis(side).setTextPen("k")
        plot.getAxis(side).enableAutoSIPrefix(False)  # the labels carry the units
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.showGrid(x=True, y=True, alpha=0.2)


def _bars(plot, hist, scale, brush):
    edges = hist.edges * scale
    plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=hist.counts, brush=brush,
                                 pen=pg.mkPen("k", width=0.5)))


def _conc(c):
    return f"{c:g} ug/ml"


def field_map_figure(result, sample_index=None):
    """Figure 2d: the background-subtracted field map of one session with its cells marked (circles)."""
    candidates = [i for i, s in enumerate(result.samples) if s.field_map_t is not None]
    widget = _layout(620, 560)
    if not candidates:
        widget.addLabel("no field map in these sessions", color="k")
        return widget
    if sample_index is None:  # the session closest to the half-maximum concentration shows the typical cell
        target = result.to_json_dict().get("half_max_concentration_ug_per_ml") or 100.0
        sample_index = min(candidates, key=lambda i: abs(np.log(max(result.samples[i].concentration_ug_per_ml, 1e-3)
                                                               / target)))
    sample = result.samples[sample_index]
    widget.addLabel(f"<b>Field map: {sample.name} ({sample.n_cells} cells)</b>", colspan=2, color="k", size="12pt")
    widget.nextRow()
    plot = widget.addPlot()
    _style(plot, "x (um)", "y (um)")
    field = np.nan_to_num(sample.field_map_t * UT)
    limit = float(np.percentile(np.abs(field), 99.7)) or 1.0
    image = pg.ImageItem(field.T)  # pyqtgraph images are indexed [x, y]
    image.setColorMap(pg.colormap.get("CET-D1"))
    image.setLevels((-limit, limit))
    size_um = sample.pixel_size_m * UM
    image.setRect(QtCore.QRectF(0, 0, field.shape[1] * size_um, field.shape[0] * size_um))
    plot.addItem(image)
    plot.invertY(True)
    plot.setAspectLocked(True)
    if sample.cell_rows_px is not None:
        plot.addItem(pg.ScatterPlotItem((sample.cell_cols_px + 0.5) * size_um, (sample.cell_rows_px + 0.5) * size_um,
                                        symbol="o", size=18, pen=pg.mkPen("k", width=1.5), brush=None))
    bar = pg.ColorBarItem(values=(-limit, limit), colorMap=pg.colormap.get("CET-D1"), label="B_NV (uT)",
                          interactive=False)
    bar.setImageItem(image)
    widget.addItem(bar)
    return widget


def histograms_figure(result, quantity="normalised_field_t", scale=UT, x_label="normalised field (uT)",
                      title="Normalised field per concentration, Voigt fits", voigt=True):
    """Figure 3a (and the 3c panels): a histogram per concentration, with the Voigt fit where there is one."""
    n = len(result.summaries)
    widget = _layout(260 * min(n, 5), 300 * ((n + 4) // 5) + 40, title)
    for i, summary in enumerate(result.summaries):
        plot = widget.addPlot(row=1 + i // 5, col=i % 5)
        _style(plot, x_label, "cells")
        hist = summary.histograms.get(quantity)
        text = f"{_conc(summary.concentration_ug_per_ml)}, n = {summary.n_cells}"
        if hist is not None:
            _bars(plot, hist, scale, pg.mkBrush(colour(i) + "99"))
        if voigt and summary.voigt is not None:
            v = summary.voigt
            x = np.linspace(hist.edges[0], hist.edges[-1], 200)
            plot.plot(x * scale, v.curve(x), pen=pg.mkPen("k", width=2))
            text += f"<br>peak {v.peak * scale:.2f} +- {v.peak_err * scale:.2f}, FWHM {v.fwhm * scale:.2f}"
        elif voigt and summary.voigt_note:
            text += f"<br>{summary.voigt_note}"
        plot.setTitle(text, color="k", size="9pt")
    return widget


def concentration_figure(result):
    """Figure 3b: mean normalised field (+- SEM) vs concentration, both saturation fits, half-maximum marked."""
    widget = _layout(720, 520, "Mean normalised field vs SPION concentration")
    plot = widget.addPlot(row=1, col=0)
    _style(plot, "SPION concentration (ug/ml)", "mean normalised field (uT)")
    plot.addLegend(offset=(-10, 10), labelTextColor="k")
    c = result.concentrations
    mean, sem = result.means("normalised_field_t") * UT, result.sems("normalised_field_t") * UT
    plot.addItem(pg.ErrorBarItem(x=c, y=mean, top=sem, bottom=sem, beam=8, pen=pg.mkPen("k", width=1.5)))
    plot.plot(c, mean, pen=None, symbol="o", symbolBrush="k", symbolSize=9, name="mean +- SEM")
    curve = result.field_curve
    if curve is not None:
        x = np.linspace(0, max(c.max() * 1.1, 1.0), 400)
        for name, fit in curve.fits.items():
            star = f" (lower AIC by {curve.delta_aic:.1f})" if name == curve.preferred else ""
            star += " (headline)" if name == curve.headline else ""
            plot.plot(x, fit.curve(x) * UT, pen=_MODEL_PENS[name],
                      name=f"{name}{star}: B_max {fit.b_max * UT:.2f} uT, c_1/2 {fit.c_half:.0f} ug/ml, "
                           f"AIC {fit.aic:.1f}")
        best = curve.best
        dashed = pg.mkPen("#555555", width=1, style=QtCore.Qt.PenStyle.DotLine)
        plot.addItem(pg.InfiniteLine(best.c_half, angle=90, pen=dashed))
        plot.addItem(pg.InfiniteLine(best.b_max * UT / 2, angle=0, pen=dashed))
        plot.addItem(pg.InfiniteLine(best.b_max * UT, angle=0, pen=dashed))
        label = pg.TextItem(f"half-max {best.c_half:.1f} +- {best.c_half_err:.1f} ug/ml", color="k", anchor=(0, 1))
        label.setPos(best.c_half, best.b_max * UT / 2)
        plot.addItem(label)
    return widget


def distributions_figure(result):
    """Figure 3c: per-sample distributions of distance and of iron mass (two rows of histograms)."""
    n = len(result.summaries)
    widget = _layout(260 * min(n, 5), 640, "Distance and iron mass per sample")
    rows = (("z_m", UM, "distance z (um)"), ("iron_mass_g", PG, "iron mass (pg)"))
    for row, (quantity, scale, label) in enumerate(rows):
        for i, summary in enumerate(result.summaries[:5]):
            plot = widget.addPlot(row=1 + row, col=i)
            _style(plot, label, "cells")
            hist = summary.histograms.get(quantity)
            if hist is not None:
                _bars(plot, hist, scale, pg.mkBrush(colour(i) + "99"))
            plot.setTitle(f"{_conc(summary.concentration_ug_per_ml)}: mean {summary.mean[quantity] * scale:.2f}",
                          color="k", size="9pt")
    return widget


def ranking_figure(result):
    """Raw peak field (at each cell's own distance) next to the normalised field, per sample: the raw value
    ranks samples by distance as much as by labelling."""
    widget = _layout(820, 480, "Raw peak field vs normalised field per sample")
    c = result.concentrations
    positions = np.arange(c.size)
    for col, (quantity, title) in enumerate((("raw_peak_t", "raw peak B_NV (uT), at each cell's distance"),
                                             ("normalised_field_t", "normalised field (uT), reference cell"))):
        plot = widget.addPlot(row=1, col=col)
        _style(plot, "SPION concentration (ug/ml)", title)
        mean, sem = result.means(quantity) * UT, result.sems(quantity) * UT
        order = np.argsort(-mean)
        rank = np.empty(c.size, dtype=int)
        rank[order] = np.arange(1, c.size + 1)
        for i in range(c.size):
            plot.addItem(pg.BarGraphItem(x=[positions[i]], height=[mean[i]], width=0.6,
                                         brush=pg.mkBrush(colour(i) + "bb"), pen=pg.mkPen("k")))
            text = pg.TextItem(f"#{rank[i]}", color="k", anchor=(0.5, 1))
            text.setPos(positions[i], mean[i] + sem[i])
            plot.addItem(text)
        plot.addItem(pg.ErrorBarItem(x=positions, y=mean, top=sem, bottom=sem, beam=0.2, pen=pg.mkPen("k")))
        plot.getAxis("bottom").setTicks([[(p, f"{v:g}") for p, v in zip(positions, c, strict=True)]])
    return widget


FIGURES = (
    ("fig2d", "Figure 2d: field map with detected cells", field_map_figure),
    ("fig3a", "Figure 3a: normalised-field histograms with Voigt fits", histograms_figure),
    ("fig3b", "Figure 3b: concentration dependence and saturation fits", concentration_figure),
    ("fig3c", "Figure 3c: distance and iron-mass distributions per sample", distributions_figure),
    ("ranking", "Raw peak field vs normalised field", ranking_figure),
)
"""(key, caption, builder) of every figure, in report order."""


def widget_png(widget, width=None):
    """PNG bytes of a pyqtgraph widget (rendered off screen)."""
    from PyQt6 import QtWidgets
    from pyqtgraph.exporters import ImageExporter

    # the layout is computed only for a shown widget; never put it on screen (a user's display may be live)
    widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.show()
    QtWidgets.QApplication.processEvents()
    exporter = ImageExporter(widget.scene())
    exporter.parameters()["width"] = int(width or widget.width())
    image = exporter.export(toBytes=True)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    widget.hide()
    return bytes(buffer.data())


def ensure_application():
    """A QApplication for off-screen rendering (a headless platform when no display is set)."""
    import os

    from PyQt6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtWidgets.QApplication([])
    return app


__all__ = ["FIGURES", "concentration_figure", "distributions_figure", "ensure_application",
           "field_map_figure", "histograms_figure", "ranking_figure", "widget_png"]
