"""Which analysis parts the app uses: the ONE place that chooses them (``default_seams``).

In use: ``analysis.odmr.fit_odmr``, ``analysis.background.remove_background``, the per-cell analysis
``analysis.cells.analyze_field_map`` through ``CellAnalysis`` (cell_analysis.py), and session files through
``H5Sessions`` (an adapter over ``analysis.session``) written by a separate process (``app.file_process``).
The placeholders in ``placeholder_fit`` stay for builds without the fitter and for comparison;
``AnalysisSeams()`` alone (placeholders, no session files, no cell analysis) is what the controller tests use.
"""

from dataclasses import dataclass, field

from .placeholder_fit import placeholder_fit_odmr, placeholder_remove_background
from .sessions import UnavailableSessions


@dataclass
class AnalysisSeams:
    """fit_odmr(cube (rows, cols, n_freq), freq_hz, model=, transitions=) -> fit result with b_nv_t, chi2, ...;
    remove_background(b_nv_map_t) -> (background_t, residual_t, info);
    cell_analyzer(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None) -> results, or None (not yet);
    sessions: a ``SessionBackend``."""

    fit_odmr: object = placeholder_fit_odmr
    remove_background: object = placeholder_remove_background
    cell_analyzer: object = None
    sessions: object = field(default_factory=UnavailableSessions)
    model: str = "15N"

    @property
    def fit_is_placeholder(self):
        return self.fit_odmr is placeholder_fit_odmr


def default_seams():
    from analysis.background import remove_background
    from analysis.odmr import fit_odmr

    from ..file_process import FileProcess
    from .cell_analysis import default_cell_analyzer
    from .session_files import H5Sessions

    return AnalysisSeams(fit_odmr=fit_odmr, remove_background=remove_background,
                         cell_analyzer=default_cell_analyzer(), sessions=H5Sessions(files=FileProcess()))
