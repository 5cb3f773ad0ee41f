"""How often the study's statistics alone recover the paper's numbers: a Monte Carlo of whole studies.

    python benchmarks/study_statistics_mc.py [--studies 1000] [--measurement-rms 0.25] [--mass-sampling random]

Each simulated study has the default simulated study's groups (``nvscope simulate-study``: 20-500 ug/ml, 36,
30, 40, 28, 34 cells, log-normal iron mass of spread 0.35 with its mean on the paper's curve, stratified or
random as ``--mass-sampling``), each cell's normalised field multiplied by a log-normal measurement error of
``--measurement-rms`` (0: perfect measurements). The study's own statistics then run on the group means and
standard errors (``analysis.study.saturation.compare_saturation_models``). Printed: how often AIC prefers the
true (exponential) model, how often the exponential fit lands within 10 % (B_max) and 15 % (half-maximum) of
the paper's values, and how often the headline does, with the headline taken (a) from the lower AIC alone and
(b) as the study reports it (the paper's exponential unless delta AIC >= 2 says otherwise).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import physics  # noqa: E402
from analysis.study.saturation import compare_saturation_models  # noqa: E402
from app.core.study_simulation import (  # noqa: E402
    DEFAULT_CELLS,
    DEFAULT_MASS_LOG_SD,
    random_masses_kg,
    stratified_masses_kg,
)
from instruments.virtual_microscope import (  # noqa: E402
    PAPER_B_MAX_T,
    PAPER_CONCENTRATIONS_UG_PER_ML,
    PAPER_HALF_MAX_UG_PER_ML,
    iron_mass_for_concentration_kg,
)


def _within(fit):
    return abs(fit.b_max / PAPER_B_MAX_T - 1) < 0.10 and abs(fit.c_half / PAPER_HALF_MAX_UG_PER_ML - 1) < 0.15


def run(studies, measurement_rms, mass_sampling, seed=0):
    rng = np.random.default_rng(seed)
    conc = np.array(PAPER_CONCENTRATIONS_UG_PER_ML)
    per_kg = physics.normalised_field_per_kg()
    tally = {"aic_prefers_exponential": 0, "exponential_within": 0, "aic_headline_within": 0, "headline_within": 0,
             "decisive": 0}
    for _ in range(studies):
        means, sems = [], []
        for c, n in zip(conc, DEFAULT_CELLS, strict=True):
            mean_mass = iron_mass_for_concentration_kg(c)
            draw = stratified_masses_kg if mass_sampling == "stratified" else random_masses_kg
            mass = draw(mean_mass, n, DEFAULT_MASS_LOG_SD, rng)
            field = mass * per_kg * np.exp(measurement_rms * rng.standard_normal(n))
            means.append(field.mean())
            sems.append(field.std(ddof=1) / np.sqrt(n))
        comparison = compare_saturation_models(conc, np.array(means), np.array(sems))
        tally["aic_prefers_exponential"] += comparison.preferred == "exponential"
        tally["exponential_within"] += _within(comparison.fits["exponential"])
        tally["aic_headline_within"] += _within(comparison.fits[comparison.preferred])
        tally["headline_within"] += _within(comparison.best)
        tally["decisive"] += comparison.decisive
    return {k: v / studies for k, v in tally.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--measurement-rms", type=float, default=0.0, help="per-cell log-normal error (0: perfect)")
    parser.add_argument("--mass-sampling", choices=("stratified", "random"), default="stratified")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    r = run(args.studies, args.measurement_rms, args.mass_sampling, args.seed)
    print(f"{args.studies} studies, {args.mass_sampling} masses, per-cell measurement error "
          f"{args.measurement_rms:.0%}:")
    print(f"  AIC prefers the true exponential model: {r['aic_prefers_exponential']:.0%}; "
          f"decisively (delta AIC >= 2): {r['decisive']:.0%}")
    print(f"  exponential fit within 10 % / 15 % of the paper: {r['exponential_within']:.0%}")
    print(f"  headline from the lower AIC alone within: {r['aic_headline_within']:.0%}")
    print(f"  headline as reported (exponential unless delta AIC >= 2) within: {r['headline_within']:.0%}")


if __name__ == "__main__":
    main()
