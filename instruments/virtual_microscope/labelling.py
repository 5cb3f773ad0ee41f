"""How much iron a simulated cell takes up at a SPION concentration (the paper's saturation curve).

The simulated studies (issue 7) build their samples from the paper's numbers: the normalised field of a cell
saturates with the labelling concentration as B(c) = B_max (1 - exp(-c / c0)), B_max = 2.91 uT, half of it at
116.39 ug/ml (so c0 = 116.39 / ln 2). The iron mass that gives a normalised field B is B divided by the
normalised field per kilogram of iron (``analysis.physics.normalised_field_per_kg``).
"""

import math

from analysis import physics

PAPER_B_MAX_T = 2.91e-6
PAPER_HALF_MAX_UG_PER_ML = 116.39
PAPER_CONCENTRATIONS_UG_PER_ML = (20.0, 40.0, 100.0, 200.0, 500.0)


def saturation_field_t(concentration_ug_per_ml, b_max_t=PAPER_B_MAX_T, half_max_ug_per_ml=PAPER_HALF_MAX_UG_PER_ML):
    """Mean normalised field (T) of cells labelled at this concentration: B_max (1 - exp(-c ln2 / c_half))."""
    physics.validation.require_non_negative("concentration_ug_per_ml", concentration_ug_per_ml, "ug/ml")
    return b_max_t * (1.0 - math.exp(-concentration_ug_per_ml * math.log(2.0) / half_max_ug_per_ml))


def iron_mass_for_concentration_kg(concentration_ug_per_ml, **curve):
    """Median iron mass per cell (kg) at this concentration, from the saturation curve."""
    return saturation_field_t(concentration_ug_per_ml, **curve) / physics.normalised_field_per_kg()
