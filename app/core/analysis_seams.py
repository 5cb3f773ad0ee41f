"""Which analysis parts the app uses: the ONE place that chooses them (``default_seams``).

In use: ``analysis.odmr.fit_odmr``, ``analysis.background.remove_background``, the per-cell analysis
``analysis.cells.analyze_field_map`` through ``CellAnalysis`` (cell_analysis.py), and session files through
``H5Sessions`` (an adapter over ``analysis.session``) written by a separate process (``app.core.file_process``),
and the window's live fit in a process of its own (``app.core.fit_process``).
``AnalysisSeams()`` alone (the real fit and background removal, no session files, no cell analysis) is what the
controller tests use; tests replace any part by passing it.
"""

from dataclasses import dataclass

from analysis.background import remove_background
from analysis.odmr import fit_odmr
from app.core.cell_analysis import CellAnalysis
from app.core.file_process import FileProcess
from app.core.fit_process import FitProcess
from app.core.session_files import H5Sessions


@dataclass
class AnalysisSeams:
    """fit_odmr(cube (rows, cols, n_freq), freq_hz, model=, transitions=) -> fit result with b_nv_t, chi2, ...
    (default ``analysis.odmr.fit_odmr``); remove_background(b_nv_map_t) -> (background_t, residual_t, info)
    (default ``analysis.background.remove_background``);
    cell_analyzer(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, *, calibration=None,
    steps_done=None, steps_planned=None) -> results (``app.core.cells.CellAnalyzer``), or None (no cell
    analysis); sessions: a ``SessionBackend``, or None (acquisitions are not saved); live_fits: a ``FitProcess``
    that runs the live fit (with the real ``fit_odmr`` and ``remove_background``, whatever the fields above say),
    or None: the live fit runs in the controller's own thread with the fields above."""

    fit_odmr: object = fit_odmr
    remove_background: object = remove_background
    cell_analyzer: object = None
    sessions: object = None
    model: str = "15N"
    live_fits: object = None


def default_seams():
    return AnalysisSeams(cell_analyzer=CellAnalysis(), sessions=H5Sessions(files=FileProcess()),
                         live_fits=FitProcess())
