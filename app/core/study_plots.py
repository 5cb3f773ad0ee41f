"""The labelling study's report figures, drawn with matplotlib (Agg, no display and no Qt), so that
``nvscope study --report`` runs on a headless server; the GUI's study tab shows the same figures on a Qt canvas
(zoom, pan). Nothing here computes statistics. Displayed units: um, uT, pg, ug/ml.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

UT = 1e6
UM = 1e6
PG = 1e12
FORMATS = ("png", "svg", "pdf")
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_MODEL_STYLE = {"exponential": {"color": "#d62728", "linestyle": "-"},
                "langmuir": {"color": "#1f77b4", "linestyle": "--"}}
_DPI = 100


def colour(i):
    return _PALETTE[i % len(_PALETTE)]


def _figure(width_px, height_px, title=None):
    # a Figure with its own Agg canvas: no pyplot, so no global state and no GUI backend is ever chosen
    figure = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    if title:
        figure.suptitle(title, fontweight="bold")
    return figure


def _style(axes, x_label, y_label):
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.grid(alpha=0.2)


def _bars(axes, hist, scale, colour_):
    edges = hist.edges * scale
    axes.bar(edges[:-1], hist.counts, width=np.diff(edges), align="edge", color=colour_, alpha=0.6,
             edgecolor="k", linewidth=0.5)


def _conc(c):
    return f"{c:g} ug/ml"


def field_map_figure(result, sample_index=None):
    """Figure 2d: the background-subtracted field map of one session with its cells marked (circles)."""
    candidates = [i for i, s in enumerate(result.samples) if s.field_map_t is not None]
    figure = _figure(620, 560)
    if not candidates:
        figure.text(0.5, 0.5, "no field map in these sessions", ha="center")
        return figure
    if sample_index is None:  # the session closest to the half-maximum concentration shows the typical cell
        target = result.to_json_dict().get("half_max_concentration_ug_per_ml") or 100.0
        sample_index = min(candidates, key=lambda i: abs(np.log(max(result.samples[i].concentration_ug_per_ml, 1e-3)
                                                               / target)))
    sample = result.samples[sample_index]
    axes = figure.add_subplot()
    axes.set_title(f"Field map: {sample.name} ({sample.n_cells} cells)", fontweight="bold")
    _style(axes, "x (um)", "y (um)")
    field = np.nan_to_num(sample.field_map_t * UT)
    limit = float(np.percentile(np.abs(field), 99.7)) or 1.0
    size_um = sample.pixel_size_m * UM
    image = axes.imshow(field, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="upper", interpolation="nearest",
                        extent=(0, field.shape[1] * size_um, field.shape[0] * size_um, 0))
    if sample.cell_rows_px is not None:
        axes.scatter((sample.cell_cols_px + 0.5) * size_um, (sample.cell_rows_px + 0.5) * size_um, s=150,
                     facecolors="none", edgecolors="k", linewidths=1.5)
    figure.colorbar(image, ax=axes, label="B_NV (uT)")
    return figure


def histograms_figure(result, quantity="normalised_field_t", scale=UT, x_label="normalised field (uT)",
                      title="Normalised field per concentration, Voigt fits", voigt=True):
    """Figure 3a (and the 3c panels): a histogram per concentration, with the Voigt fit where there is one."""
    n = len(result.summaries)
    n_rows, n_cols = (n + 4) // 5, max(min(n, 5), 1)
    figure = _figure(260 * n_cols, 300 * n_rows + 40, title)
    for i, summary in enumerate(result.summaries):
        axes = figure.add_subplot(n_rows, n_cols, i + 1)
        _style(axes, x_label, "cells")
        hist = summary.histograms.get(quantity)
        text = f"{_conc(summary.concentration_ug_per_ml)}, n = {summary.n_cells}"
        if hist is not None:
            _bars(axes, hist, scale, colour(i))
        if voigt and summary.voigt is not None:
            v = summary.voigt
            x = np.linspace(hist.edges[0], hist.edges[-1], 200)
            axes.plot(x * scale, v.curve(x), color="k", linewidth=2)
            text += f"\npeak {v.peak * scale:.2f} +- {v.peak_err * scale:.2f}, FWHM {v.fwhm * scale:.2f}"
        elif voigt and summary.voigt_note:
            text += f"\n{summary.voigt_note}"
        axes.set_title(text, fontsize=8)
    return figure


def concentration_figure(result):
    """Figure 3b: mean normalised field (+- SEM) vs concentration, both saturation fits, half-maximum marked."""
    figure = _figure(720, 600, "Mean normalised field vs SPION concentration")
    axes = figure.add_subplot()
    _style(axes, "SPION concentration (ug/ml)", "mean normalised field (uT)")
    c = result.concentrations
    mean, sem = result.means("normalised_field_t") * UT, result.sems("normalised_field_t") * UT
    axes.errorbar(c, mean, yerr=sem, fmt="o", color="k", capsize=4, label="mean +- SEM")
    curve = result.field_curve
    if curve is not None:
        x = np.linspace(0, max(c.max() * 1.1, 1.0), 400)
        for name, fit in curve.fits.items():
            star = f" (lower AIC by {curve.delta_aic:.1f})" if name == curve.preferred else ""
            star += " (headline)" if name == curve.headline else ""
            axes.plot(x, fit.curve(x) * UT, linewidth=2, **_MODEL_STYLE[name],
                      label=f"{name}{star}: B_max {fit.b_max * UT:.2f} uT, c_1/2 {fit.c_half:.0f} ug/ml, "
                            f"AIC {fit.aic:.1f}")
        best = curve.best
        for_lines = {"color": "#555555", "linewidth": 1, "linestyle": ":"}
        axes.axvline(best.c_half, **for_lines)
        axes.axhline(best.b_max * UT / 2, **for_lines)
        axes.axhline(best.b_max * UT, **for_lines)
        axes.annotate(f"half-max {best.c_half:.1f} +- {best.c_half_err:.1f} ug/ml",
                      (best.c_half, best.b_max * UT / 2), xytext=(4, 4), textcoords="offset points")
    # below the axes: inside, the three long entries covered the curve wherever they went
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
    return figure


def distributions_figure(result):
    """Figure 3c: per-sample distributions of distance and of iron mass (two rows of histograms)."""
    summaries = result.summaries[:5]
    n_cols = max(len(summaries), 1)
    figure = _figure(260 * n_cols, 640, "Distance and iron mass per sample")
    rows = (("z_m", UM, "distance z (um)"), ("iron_mass_g", PG, "iron mass (pg)"))
    for row, (quantity, scale, label) in enumerate(rows):
        for i, summary in enumerate(summaries):
            axes = figure.add_subplot(2, n_cols, row * n_cols + i + 1)
            _style(axes, label, "cells")
            hist = summary.histograms.get(quantity)
            if hist is not None:
                _bars(axes, hist, scale, colour(i))
            axes.set_title(f"{_conc(summary.concentration_ug_per_ml)}: mean {summary.mean[quantity] * scale:.2f}",
                           fontsize=8)
    return figure


def ranking_figure(result):
    """Raw peak field (at each cell's own distance) next to the normalised field, per sample: the raw value
    ranks samples by distance as much as by labelling."""
    figure = _figure(820, 480, "Raw peak field vs normalised field per sample")
    c = result.concentrations
    positions = np.arange(c.size)
    for col, (quantity, title) in enumerate((("raw_peak_t", "raw peak B_NV (uT), at each cell's distance"),
                                             ("normalised_field_t", "normalised field (uT), reference cell"))):
        axes = figure.add_subplot(1, 2, col + 1)
        _style(axes, "SPION concentration (ug/ml)", title)
        mean, sem = result.means(quantity) * UT, result.sems(quantity) * UT
        rank = np.empty(c.size, dtype=int)
        rank[np.argsort(-mean)] = np.arange(1, c.size + 1)
        axes.bar(positions, mean, width=0.6, yerr=sem, capsize=4, edgecolor="k",
                 color=[colour(i) for i in range(c.size)], alpha=0.75)
        for i in range(c.size):
            axes.annotate(f"#{rank[i]}", (positions[i], mean[i] + sem[i]), ha="center", va="bottom")
        axes.set_xticks(positions, [f"{v:g}" for v in c])
    return figure


FIGURES = (
    ("fig2d", "Figure 2d: field map with detected cells", field_map_figure),
    ("fig3a", "Figure 3a: normalised-field histograms with Voigt fits", histograms_figure),
    ("fig3b", "Figure 3b: concentration dependence and saturation fits", concentration_figure),
    ("fig3c", "Figure 3c: distance and iron-mass distributions per sample", distributions_figure),
    ("ranking", "Raw peak field vs normalised field", ranking_figure),
)
"""(key, caption, builder) of every figure, in report order."""


def figure_bytes(figure, fmt="png", width_px=None):
    """The figure as PNG, SVG or PDF bytes; ``width_px`` rescales a PNG (the default: the figure's own size)."""
    if fmt not in FORMATS:
        raise ValueError(f"figure format {fmt!r} is not one of {', '.join(FORMATS)}; choose one of those.")
    dpi = _DPI if width_px is None else _DPI * width_px / (figure.get_figwidth() * _DPI)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, facecolor="white")
    return buffer.getvalue()


def render_figures(result, fmt="png", width_px=None):
    """key -> (caption, bytes in ``fmt``) of every report figure."""
    return {key: (caption, figure_bytes(builder(result), fmt, width_px)) for key, caption, builder in FIGURES}
