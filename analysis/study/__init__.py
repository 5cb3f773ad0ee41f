"""The labelling-efficiency study across sessions (DESIGN section 2, "The labelling study"). No Qt here: the
functions return data; ``app/study_report.py`` draws the figures.

Typical use::

    from analysis.study import analyse_session, load_study, analyse_study
    for path in paths:
        analyse_session(path)                 # fit / detect cells where a session lacks them
    result = analyse_study(load_study(paths))
    summary = result.to_json_dict()           # half-max concentration, B_max, per-concentration means ...
"""

from .detection import (
    detection_limit_z_m,
    field_noise_t,
    iron_mass_for_normalised_field_kg,
    required_field_noise_t,
    required_integration_time_s,
)
from .faddeeva import faddeeva
from .groups import ConcentrationGroup, group_by_concentration
from .pipeline import STAGES, analyse_session, needed_stages, needed_stages_of_file, stored_cell_model_hashes
from .samples import QUANTITIES, SessionCells, StudyInputError, load_study, raw_peak_field_t, session_cells
from .saturation import (
    EXPONENTIAL,
    LANGMUIR,
    SaturationComparison,
    SaturationFit,
    compare_saturation_models,
    fit_saturation,
    saturation_curve,
)
from .summary import GroupSummary, StudyResult, analyse_study, discordant_pairs, summarise_group
from .voigt import Histogram, VoigtFit, fit_voigt_histogram, histogram, voigt_fwhm, voigt_pdf

__all__ = [
    "EXPONENTIAL", "LANGMUIR", "QUANTITIES", "STAGES", "ConcentrationGroup", "GroupSummary", "Histogram",
    "SaturationComparison", "SaturationFit", "SessionCells", "StudyInputError", "StudyResult", "VoigtFit",
    "analyse_session", "analyse_study", "compare_saturation_models", "detection_limit_z_m",
    "discordant_pairs", "faddeeva", "field_noise_t", "fit_saturation", "fit_voigt_histogram",
    "group_by_concentration", "histogram", "iron_mass_for_normalised_field_kg", "load_study", "needed_stages",
    "needed_stages_of_file",
    "raw_peak_field_t", "required_field_noise_t", "required_integration_time_s", "saturation_curve",
    "session_cells", "stored_cell_model_hashes", "summarise_group", "voigt_fwhm", "voigt_pdf",
]
