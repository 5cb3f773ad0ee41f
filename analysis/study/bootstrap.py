"""The study's own sampling noise: a bootstrap over cells of the saturation fit.

Each concentration's cells are resampled with replacement (``n_boot`` times, fixed seed), the per-concentration
means and standard errors recomputed and the headline model refitted. The spread (standard deviation) of the
refitted B_max and half-maximum concentration, and of each concentration's mean, is what another study of as
many cells drawn the same way would scatter by: the figure to set next to the fitted values (the fit's own
errors assume the standard errors are exact and the model right).
"""

import numpy as np

from .saturation import fit_saturation

DEFAULT_BOOTSTRAPS = 200


def bootstrap_saturation(concentrations, values_per_group, model, n_boot=DEFAULT_BOOTSTRAPS, seed=0):
    """concentrations (G,), values_per_group: G 1-D arrays of one quantity per cell (e.g. normalised field, T);
    model: 'exponential' or 'langmuir'. Returns dict b_max_sd, c_half_sd (same units as the fit) and
    mean_sd (G,): standard deviations over the bootstrap; fits that fail are left out (``n_ok`` says how
    many remained)."""
    rng = np.random.default_rng(seed)
    c = np.asarray(concentrations, dtype=np.float64)
    groups = [np.asarray(v, dtype=np.float64)[np.isfinite(v)] for v in values_per_group]
    b_max, c_half, means = [], [], []
    for _ in range(n_boot):
        draws = [g[rng.integers(0, g.size, g.size)] if g.size else g for g in groups]
        mean = np.array([d.mean() if d.size else np.nan for d in draws])
        sem = np.array([d.std(ddof=1) / np.sqrt(d.size) if d.size >= 2 else np.nan for d in draws])
        means.append(mean)
        ok = np.isfinite(mean) & np.isfinite(sem) & (sem > 0)
        if ok.sum() < 3:
            continue
        try:
            fit = fit_saturation(model, c[ok], mean[ok], sem[ok])
        except ValueError:
            continue
        if np.isfinite(fit.b_max) and np.isfinite(fit.c_half):
            b_max.append(fit.b_max)
            c_half.append(fit.c_half)
    return {"b_max_sd": float(np.std(b_max, ddof=1)) if len(b_max) > 1 else float("nan"),
            "c_half_sd": float(np.std(c_half, ddof=1)) if len(c_half) > 1 else float("nan"),
            "mean_sd": np.nanstd(np.array(means), axis=0, ddof=1), "n_ok": len(b_max), "n_boot": n_boot}
