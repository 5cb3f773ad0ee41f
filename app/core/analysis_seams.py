"""Which analysis parts the app uses: the ONE place that chooses them (``default_seams``).

In use: ``analysis.odmr.fit_odmr``, ``analysis.background.remove_background``, the per-cell analysis
``analysis.cells.analyze_field_map`` through ``CellAnalysis`` (cell_analysis.py), and session files through
``H5Sessions`` (an adapter over ``analysis.session``) written by a separate process (``app.core.file_process``).
``AnalysisSeams()`` alone (the real fit and background removal, no session files, no cell analysis) is what the
controller tests use; tests replace any part by passing it.
"""

from dataclasses import dataclass, field

from app.core.sessions import UnavailableSessions


@dataclass
class AnalysisSeams:
    """fit_odmr(cube (rows, cols, n_freq), freq_hz, model=, transitions=) -> fit result with b_nv_t, chi2, ...
    (default ``analysis.odmr.fit_odmr``); remove_background(b_nv_map_t) -> (background_t, residual_t, info)
    (default ``analysis.background.remove_background``);
    cell_analyzer(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None) -> results, or None (not yet);
    sessions: a ``SessionBackend``."""

    fit_odmr: object = None
    remove_background: object = None
    cell_analyzer: object = None
    sessions: object = field(default_factory=UnavailableSessions)
    model: str = "15N"

    def __post_init__(self):
        # imported here, not at module level: the fitter's numba kernels load only when seams are made
        if self.fit_odmr is None:
            from analysis.odmr import fit_odmr

            self.fit_odmr = fit_odmr
        if self.remove_background is None:
            from analysis.background import remove_background

            self.remove_background = remove_background


def default_seams():
    from app.core.cell_analysis import default_cell_analyzer
    from app.core.file_process import FileProcess
    from app.core.session_files import H5Sessions

    return AnalysisSeams(cell_analyzer=default_cell_analyzer(), sessions=H5Sessions(files=FileProcess()))
