"""The labelling study's HTML report: self-contained (figures embedded as base64 PNG or SVG; as PDF files next
to it on request), plus the JSON summary.

The statistics come from ``analysis.study``; the figures from ``app.core.study_plots`` (matplotlib, no Qt: the
report is written on a headless server). Displayed units: uT, um, pg, ug/ml.
"""

import base64
import html
import json
import os

from analysis.session.safe_files import replacing
from app.core.study_plots import FORMATS, render_figures
from app.version import APP_VERSION

_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}
th{background:#eee}td.l,th.l{text-align:left}img{max-width:100%;border:1px solid #ddd}
.bad{color:#b00;font-weight:bold}.good{color:#070;font-weight:bold}figcaption{font-style:italic;margin:.3em 0 1.5em}"""


def _f(value, scale=1.0, digits=2):
    return "–" if value is None else f"{value * scale:.{digits}f}"


def _boot(value, scale=1.0, digits=2):
    """' (bootstrap sd 1.23)' next to a fitted value, '' without a bootstrap."""
    return "" if value is None else f" <small>(bootstrap sd {_f(value, scale, digits)})</small>"


def _per_concentration_table(summary):
    boot_sd = summary.get("mean_normalised_field_bootstrap_sd_t") or [None] * len(summary["per_concentration"])
    head = ("<tr><th>c (ug/ml)</th><th>cells</th><th>sessions</th><th>mean normalised field (uT)</th>"
            "<th>Voigt peak (uT)</th><th>Voigt FWHM (uT)</th><th>mean iron mass (pg)</th>"
            "<th>mean distance (um)</th><th>mean diameter (um)</th><th>mean raw peak field (uT)</th></tr>")
    rows = []
    for g, sd in zip(summary["per_concentration"], boot_sd, strict=True):
        v = g.get("voigt_normalised_field_t")
        note = html.escape(g.get("voigt_note", ""))
        voigt = (f"<td>{_f(v['peak'], 1e6)} ± {_f(v['peak_err'], 1e6)}</td><td>{_f(v['fwhm'], 1e6)} ± "
                 f"{_f(v['fwhm_err'], 1e6)}</td>") if v else f"<td colspan=2>{note}</td>"
        rows.append(
            f"<tr><td>{g['concentration_ug_per_ml']:g}</td><td>{g['n_cells']}</td>"
            f"<td class=l>{html.escape(', '.join(g['sessions']))}</td>"
            f"<td>{_f(g['mean_normalised_field_t'], 1e6)} ± {_f(g['sem_normalised_field_t'], 1e6)}"
            f"{_boot(sd, 1e6)}</td>{voigt}"
            f"<td>{_f(g['mean_iron_mass_g'], 1e12)} ± {_f(g['sem_iron_mass_g'], 1e12)}</td>"
            f"<td>{_f(g['mean_z_m'], 1e6, 1)} ± {_f(g['sem_z_m'], 1e6, 1)}</td>"
            f"<td>{_f(g['mean_diameter_m'], 1e6, 1)}</td>"
            f"<td>{_f(g['mean_raw_peak_t'], 1e6)} ± {_f(g['sem_raw_peak_t'], 1e6)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _sessions_table(summary):
    rows = "".join(
        f"<tr><td class=l>{html.escape(s['name'])}</td><td>{s['concentration_ug_per_ml']:g}</td>"
        f"<td>{s['n_cells_in_table']}</td><td>{s.get('not_usable', 0)}</td><td>{s['flagged']}</td>"
        f"<td>{s['outside_distance_window']}</td>"
        f"<td>{s['n_cells']}</td><td class=l>{html.escape(s['path'])}</td></tr>" for s in summary["sessions"])
    return ("<table><tr><th class=l>sample</th><th>c (ug/ml)</th><th>cells in table</th><th>left out: not usable"
            "</th><th>left out: flag</th><th>left out: distance</th><th>used</th><th class=l>file</th></tr>" + rows
            + "</table><p>Left out: the analysis's verdict says the cell's numbers cannot be trusted (not usable, "
            "listed below with the reason); refinement not converged, on a parameter bound or at the image edge; "
            "fitted distance outside the plausible window (closer than a cell's radius, or farther than a cell's "
            "field reaches).</p>" + _not_usable_list(summary))


def _not_usable_list(summary):
    """Every cell left out as not usable: sample, position, reason."""
    items = [f"<tr><td class=l>{html.escape(s['name'])}</td><td>{_f(c['row_px'], 1, 0)}</td>"
             f"<td>{_f(c['col_px'], 1, 0)}</td><td class=l>{html.escape(str(c['reason']))}</td></tr>"
             for s in summary["sessions"] for c in s.get("not_usable_cells", [])]
    if not items:
        return "<p>Not usable cells: none.</p>"
    return (f"<h3>Not usable cells ({len(items)})</h3><table><tr><th class=l>sample</th><th>row</th><th>col</th>"
            "<th class=l>reason</th></tr>" + "".join(items) + "</table>")


def _failed_html(summary):
    """The sessions left out of the study because their analysis failed, each with its one-line reason."""
    failed = summary.get("failed_sessions") or []
    if not failed:
        return ""
    rows = "".join(f"<tr><td class=l>{html.escape(f['path'])}</td><td class=l>{html.escape(f['reason'])}</td></tr>"
                   for f in failed)
    return (f"<p class=bad>{len(failed)} session(s) left out: their analysis failed.</p>"
            f"<table><tr><th class=l>file</th><th class=l>reason</th></tr>{rows}</table>")


def _fits_table(summary):
    fits = summary.get("normalised_field_fits")
    if not fits:
        return "<p>Too few concentrations for a saturation fit (needs 3).</p>"
    rows = []
    for name in ("exponential", "langmuir"):
        f = fits[name]
        mark = " (lower AIC)" if name == fits["preferred"] else ""
        mark += " (headline)" if name == fits["headline"] else ""
        formula = "B_max (1 − exp(−c/c0)), c_1/2 = c0 ln 2" if name == "exponential" else "B_max c / (K + c), c_1/2 = K"
        rows.append(f"<tr><td class=l>{name}{mark}</td><td class=l>{formula}</td><td>{_f(f['b_max'], 1e6, 3)} ± "
                    f"{_f(f['b_max_err'], 1e6, 3)}</td><td>{_f(f['c_half'], 1, 1)} ± {_f(f['c_half_err'], 1, 1)}</td>"
                    f"<td>{_f(f['chi2'], 1, 2)}</td><td>{_f(f['aic'], 1, 2)}</td></tr>")
    head = ("<tr><th class=l>model</th><th class=l>form</th><th>B_max (uT)</th><th>half-max c (ug/ml)</th>"
            "<th>chi²</th><th>AIC</th></tr>")
    return (f"<table>{head}{''.join(rows)}</table><p>Lower AIC: <b>{fits['preferred']}</b> (by "
            f"{fits['delta_aic']:.2f}; below 2 the data cannot tell the models apart, and the headline stays with "
            "the paper's exponential model).</p>")


def _ranking_html(summary):
    r = summary["ranking"]

    def order(values):
        return " &gt; ".join(f"{v:g}" for v in values)

    raw_ok, norm_ok = r["raw_peak_ranks_correctly"], r["normalised_ranks_correctly"]
    swapped = ", ".join(f"{a:g} vs {b:g}" for a, b in r["raw_peak_discordant_pairs"]) or "none"
    return (
        "<table><tr><th class=l>ranked by</th><th class=l>order of samples (ug/ml), highest first</th>"
        "<th class=l>agrees with concentration?</th></tr>"
        f"<tr><td class=l>concentration</td><td class=l>{order(r['by_concentration'])}</td><td class=l>–</td></tr>"
        f"<tr><td class=l>raw peak field</td><td class=l>{order(r['by_raw_peak_field'])}</td><td class=l>"
        f"<span class={'good' if raw_ok else 'bad'}>{'yes' if raw_ok else 'no: ' + swapped}</span></td></tr>"
        f"<tr><td class=l>normalised field</td><td class=l>{order(r['by_normalised_field'])}</td><td class=l>"
        f"<span class={'good' if norm_ok else 'bad'}>{'yes' if norm_ok else 'no'}</span></td></tr></table>")


def _headline_reason(summary):
    """Why the headline numbers come from the model they come from."""
    if summary["models_distinguishable"]:
        return f"{summary['headline_model']} model, preferred by the data: delta AIC {summary['delta_aic']:.1f}"
    return (f"{summary['headline_model']} model, the paper's: the data do not decide between the models, "
            f"delta AIC {summary['delta_aic']:.1f} &lt; 2")


def _n_not_usable(summary):
    return sum(int(s.get("not_usable", 0)) for s in summary["sessions"])


_MIME = {"png": "image/png", "svg": "image/svg+xml"}


def _figure_html(key, caption, fmt, payload):
    """One figure: embedded (PNG, SVG: ``payload`` is its bytes) or linked (PDF: ``payload`` is the file name)."""
    alt = html.escape(caption)
    if fmt == "pdf":
        body = f"<a href='{html.escape(payload)}'>{html.escape(payload)} (PDF)</a>"
    else:
        body = f"<img alt='{alt}' src='data:{_MIME[fmt]};base64,{base64.b64encode(payload).decode('ascii')}'>"
    return f"<figure id='{key}'>{body}<figcaption>{alt}</figcaption></figure>"


def report_html(summary, figures, title="Labelling-efficiency study", fmt="png"):
    """The HTML text of the report from the JSON summary and the rendered figures (key -> (caption, payload),
    see ``_figure_html``)."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
             f"<p>nvscope {APP_VERSION}; {summary['n_sessions']} sessions, {summary['n_cells']} cells "
             f"(cells with a failed refinement are left out; {_n_not_usable(summary)} not usable).</p>"]
    if summary.get("b_max_t") is not None:
        parts.append(
            f"<h2>Result</h2><p>Extrapolated maximum normalised field <b>{_f(summary['b_max_t'], 1e6, 2)} ± "
            f"{_f(summary['b_max_err_t'], 1e6, 2)} uT</b>{_boot(summary.get('b_max_bootstrap_sd_t'), 1e6)}; half "
            f"of it at <b>{_f(summary['half_max_concentration_ug_per_ml'], 1, 1)} ± "
            f"{_f(summary['half_max_concentration_err_ug_per_ml'], 1, 1)} ug/ml</b>"
            f"{_boot(summary.get('half_max_concentration_bootstrap_sd_ug_per_ml'), 1, 1)} "
            f"({_headline_reason(summary)}).</p>")
        if summary.get("bootstrap_resamples"):
            parts.append(f"<p>Bootstrap sd: the spread of the fitted values over {summary['bootstrap_resamples']} "
                         "resamplings of each concentration's cells: what another study of as many cells would "
                         "scatter by (the study's own sampling noise).</p>")
        fits = summary["normalised_field_fits"]
        if not summary["models_distinguishable"]:
            other = "langmuir" if summary["headline_model"] == "exponential" else "exponential"
            o = fits[other]
            parts.append(
                f"<p class=bad>The data cannot tell the two models apart (delta AIC {summary['delta_aic']:.2f} "
                f"&lt; 2; lower AIC: {summary['preferred_model']}). "
                f"The {other} model gives B_max {_f(o['b_max'], 1e6, 2)} ± {_f(o['b_max_err'], 1e6, 2)} uT and "
                f"half of it at {_f(o['c_half'], 1, 1)} ± {_f(o['c_half_err'], 1, 1)} ug/ml; measurements at higher "
                "concentrations would decide.</p>")
    if summary.get("saturation_fit_skipped"):
        parts.append(f"<p class=bad>No saturation fit: {html.escape(summary['saturation_fit_skipped'])}</p>")
    parts.append("<h2>Saturation fits</h2>" + _fits_table(summary))
    parts.append("<h2>Per concentration</h2>" + _per_concentration_table(summary))
    parts.append("<h2>Sessions</h2>" + _sessions_table(summary) + _failed_html(summary))
    parts.append("<h2>Raw peak field vs normalised field</h2><p>The raw peak field is each cell's peak B_NV at its "
                 "own distance; the normalised field puts every cell at the reference distance (12 um cell at "
                 "15 um). Samples mounted at different distances rank differently by the two:</p>"
                 + _ranking_html(summary))
    parts.append("<h2>Figures</h2>")
    parts.extend(_figure_html(key, caption, fmt, payload) for key, (caption, payload) in figures.items())
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(result, report_path=None, json_path=None, width=None, extra=None, figure_format="png"):
    """Write the HTML report and/or the JSON summary of a ``StudyResult``; returns the summary dict.

    extra: more JSON-able entries for the summary (e.g. the pipeline's timings); figure_format: "png" or "svg"
    (embedded) or "pdf" (one file per figure next to the report, ``<report>_<key>.pdf``, linked)."""
    if figure_format not in FORMATS:
        raise ValueError(f"figure format {figure_format!r} is not one of {', '.join(FORMATS)}; choose one of those.")
    summary = {**result.to_json_dict(), **(extra or {})}
    if json_path:
        _write_text(json_path, json.dumps(summary, indent=1))
    if report_path:
        figures = render_figures(result, figure_format, width)
        if figure_format == "pdf":
            stem = os.path.splitext(os.path.abspath(report_path))[0]
            for key, (caption, data) in figures.items():
                _write_bytes(f"{stem}_{key}.pdf", data)
                figures[key] = (caption, os.path.basename(f"{stem}_{key}.pdf"))
        _write_text(report_path, report_html(summary, figures, fmt=figure_format))
    return summary


def _write_text(path, text):
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist.")
    # a random temporary name made with O_EXCL (a link planted at "<path>.part" is never followed), moved
    # over the report only once complete: a kill leaves the old report
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
