"""The whole labelling study from the groups: per-concentration statistics, the saturation curves, and the
comparison of raw and normalised peak fields.

Units in ``StudyResult.to_json_dict()`` follow the names: ``_t`` tesla, ``_m`` metres, ``_g`` grams,
``_ug_per_ml`` ug/ml.
"""

from dataclasses import dataclass

import numpy as np

from .bootstrap import bootstrap_saturation
from .groups import group_by_concentration
from .samples import QUANTITIES
from .saturation import DECISIVE_DELTA_AIC, PRIMARY_MODEL, compare_saturation_models
from .voigt import fit_voigt_histogram, histogram

MIN_CELLS_FOR_VOIGT = 8


@dataclass
class GroupSummary:
    concentration_ug_per_ml: float
    n_cells: int
    session_names: list
    mean: dict
    """quantity -> mean over the group's cells (SI units)."""
    sem: dict
    """quantity -> standard error of that mean."""
    histograms: dict
    """quantity -> ``Histogram`` (SI units)."""
    voigt: object
    """``VoigtFit`` of the normalised-field histogram, or None (too few cells, or the fit failed)."""
    voigt_note: str = ""

    def to_json_dict(self):
        out = {"concentration_ug_per_ml": self.concentration_ug_per_ml, "n_cells": self.n_cells,
               "sessions": list(self.session_names)}
        for q in QUANTITIES:
            out[f"mean_{q}"] = _finite_or_none(self.mean[q])
            out[f"sem_{q}"] = _finite_or_none(self.sem[q])
        out["histograms"] = {q: h.to_dict() for q, h in self.histograms.items()}
        out["voigt_normalised_field_t"] = None if self.voigt is None else _clean(self.voigt.to_dict())
        if self.voigt_note:
            out["voigt_note"] = self.voigt_note
        return out


def summarise_group(group):
    """Means, standard errors, histograms and the Voigt fit of one ``ConcentrationGroup``."""
    mean = {q: group.mean(q) for q in QUANTITIES}
    sem = {q: group.sem(q) for q in QUANTITIES}
    hists = {q: histogram(group.finite(q)) for q in QUANTITIES if group.finite(q).size}
    voigt, note = None, ""
    values = group.finite("normalised_field_t")
    if values.size < MIN_CELLS_FOR_VOIGT:
        note = f"{values.size} cells: too few for a Voigt fit (needs {MIN_CELLS_FOR_VOIGT})"
    else:
        fit = fit_voigt_histogram(values)
        span = float(fit.histogram.edges[-1] - fit.histogram.edges[0])
        if not fit.converged:
            note = "Voigt fit did not converge"
        elif not (np.isfinite(fit.peak_err) and fit.peak_err < 0.5 * span):
            note = "Voigt fit unconstrained (peak error above half the histogram's span)"
        else:
            voigt = fit
    return GroupSummary(group.concentration_ug_per_ml, group.n_cells, list(group.session_names), mean, sem, hists,
                        voigt, note)


def rank_order(concentrations, values):
    """Concentrations sorted by decreasing value (the ranking the values imply)."""
    order = np.argsort(-np.asarray(values, dtype=np.float64), kind="stable")
    return [float(concentrations[i]) for i in order]


def discordant_pairs(concentrations, values):
    """Pairs of samples whose values are ordered against their concentrations (0: the ranking is right)."""
    c = np.asarray(concentrations, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    pairs = []
    for i in range(c.size):
        for j in range(i + 1, c.size):
            if (c[i] - c[j]) * (v[i] - v[j]) < 0:
                pairs.append((float(min(c[i], c[j])), float(max(c[i], c[j]))))
    return pairs


@dataclass
class StudyResult:
    groups: list
    """``ConcentrationGroup`` per concentration, lowest first."""
    summaries: list
    """``GroupSummary`` per concentration, same order."""
    field_curve: object
    """``SaturationComparison`` of the mean normalised field (T) vs concentration (None: too few groups)."""
    mass_curve: object
    """``SaturationComparison`` of the mean iron mass (g) vs concentration (None: too few groups)."""
    samples: list
    """The ``SessionCells`` the study was made of."""
    field_bootstrap: dict | None = None
    """``bootstrap.bootstrap_saturation`` of the headline model of the normalised field (None: no curve)."""

    @property
    def concentrations(self):
        return np.array([s.concentration_ug_per_ml for s in self.summaries])

    def means(self, quantity):
        return np.array([s.mean[quantity] for s in self.summaries])

    def sems(self, quantity):
        return np.array([s.sem[quantity] for s in self.summaries])

    def ranking(self):
        """How the samples rank by raw peak field and by normalised field, against their concentrations."""
        c = self.concentrations
        raw, norm = self.means("raw_peak_t"), self.means("normalised_field_t")
        raw_bad, norm_bad = discordant_pairs(c, raw), discordant_pairs(c, norm)
        return {"by_concentration": sorted(c.tolist(), reverse=True), "by_raw_peak_field": rank_order(c, raw),
                "by_normalised_field": rank_order(c, norm), "raw_peak_discordant_pairs": raw_bad,
                "normalised_discordant_pairs": norm_bad, "raw_peak_ranks_correctly": not raw_bad,
                "normalised_ranks_correctly": not norm_bad}

    def to_json_dict(self):
        """The study summary as plain JSON values (see the module docstring for units)."""
        out = {"n_sessions": len(self.samples), "n_cells": int(sum(s.n_cells for s in self.summaries)),
               "preferred_model": None, "delta_aic": None, "models_distinguishable": None, "headline_model": None,
               "half_max_concentration_ug_per_ml": None,
               "half_max_concentration_err_ug_per_ml": None, "b_max_t": None, "b_max_err_t": None}
        if self.field_curve is not None:
            best = self.field_curve.best
            out.update({"preferred_model": self.field_curve.preferred, "delta_aic": self.field_curve.delta_aic,
                        "models_distinguishable": self.field_curve.decisive,
                        "headline_model": self.field_curve.headline,
                        "half_max_concentration_ug_per_ml": best.c_half,
                        "half_max_concentration_err_ug_per_ml": best.c_half_err,
                        "b_max_t": best.b_max, "b_max_err_t": best.b_max_err,
                        "normalised_field_fits": _clean(self.field_curve.to_dict())})
        out["model_choice_reason"] = self.model_choice_reason()
        out["saturation_fit_skipped"] = self.saturation_skip_reason()
        if self.field_bootstrap is not None:  # the study's own sampling noise, next to the fitted values
            out.update({"b_max_bootstrap_sd_t": self.field_bootstrap["b_max_sd"],
                        "half_max_concentration_bootstrap_sd_ug_per_ml": self.field_bootstrap["c_half_sd"],
                        "mean_normalised_field_bootstrap_sd_t": self.field_bootstrap["mean_sd"],
                        "bootstrap_resamples": self.field_bootstrap["n_boot"]})
        if self.mass_curve is not None:
            out["iron_mass_fits_g"] = _clean(self.mass_curve.to_dict())
        out["per_concentration"] = [s.to_json_dict() for s in self.summaries]
        out["ranking"] = self.ranking()
        out["sessions"] = [{"path": s.path, "name": s.name, "concentration_ug_per_ml": s.concentration_ug_per_ml,
                            "n_cells": s.n_cells, "n_cells_in_table": s.n_cells_in_table, "flagged": s.flagged,
                            "outside_distance_window": s.outside_window, "not_usable": len(s.not_usable),
                            "not_usable_cells": [{"row_px": r, "col_px": c, "reason": why}
                                                 for r, c, why in s.not_usable]}
                           for s in sorted(self.samples, key=lambda s: (s.concentration_ug_per_ml, s.path))]
        return _clean(out)

    def model_choice_reason(self):
        """Why ``headline_model`` (the numbers reported) may differ from ``preferred_model`` (the lower AIC)."""
        curve = self.field_curve
        if curve is None:
            return None
        if curve.decisive:
            return (f"headline_model is the preferred_model ({curve.headline}): the data prefer it by delta AIC "
                    f"{curve.delta_aic:.2f} >= {DECISIVE_DELTA_AIC:g}.")
        return (f"the data cannot tell the two models apart (delta AIC {curve.delta_aic:.2f} < "
                f"{DECISIVE_DELTA_AIC:g}), so headline_model is the paper's model ({PRIMARY_MODEL}); "
                f"preferred_model ({curve.preferred}) only has the lower AIC. Both fits are in normalised_field_fits.")

    def saturation_skip_reason(self):
        """Why there is no saturation fit (None when there is one)."""
        if self.field_curve is not None:
            return None
        usable = [s for s in self.summaries if np.isfinite(s.mean["normalised_field_t"])
                  and np.isfinite(s.sem["normalised_field_t"]) and s.sem["normalised_field_t"] > 0]
        return (f"the saturation fit needs at least {SATURATION_MIN_CONCENTRATIONS} concentrations with a mean "
                f"normalised field and its error (2+ cells each); this study has {len(usable)} of "
                f"{len(self.summaries)}. Add sessions at other concentrations.")


SATURATION_MIN_CONCENTRATIONS = 3
"""A two-parameter saturation curve needs three concentrations to say anything."""


def analyse_study(samples):
    """Group ``SessionCells`` by concentration and compute everything the report shows."""
    groups = group_by_concentration(samples)
    summaries = [summarise_group(g) for g in groups]
    c = np.array([s.concentration_ug_per_ml for s in summaries])
    curves = []
    for quantity in ("normalised_field_t", "iron_mass_g"):
        mean = np.array([s.mean[quantity] for s in summaries])
        sem = np.array([s.sem[quantity] for s in summaries])
        usable = np.isfinite(mean) & np.isfinite(sem) & (sem > 0)
        enough = usable.sum() >= SATURATION_MIN_CONCENTRATIONS
        curves.append(compare_saturation_models(c, mean, sem) if enough else None)
    boot = None
    if curves[0] is not None:
        boot = bootstrap_saturation(c, [g.values["normalised_field_t"] for g in groups], curves[0].headline)
    return StudyResult(groups, summaries, curves[0], curves[1], list(samples), boot)


def _finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def _clean(value):
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value
