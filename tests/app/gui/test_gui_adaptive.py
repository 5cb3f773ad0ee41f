"""The adaptive option in the window: the two passes on the mock, the plan marked on the spectrum (size ~ pairs),
the combined fit saved in the adaptive pass's file, and review mode showing the plan as it was."""

import numpy as np
import pytest

from analysis.session import read_session
from app.core.adaptive_plan import first_pass_path
from app.core.adaptive_sweep import ADAPTIVE
from app.core.analysis_seams import default_seams
from tests.gui_helpers import open_window, run_to_end, sweep_values


@pytest.mark.slow  # a window, two passes on the mock, a review: ~20 s on 2 busy cores
def test_adaptive_sweep_marks_its_plan_live_and_in_review(qtbot, tmp_path):
    window, vm = open_window(qtbot, tmp_path, seams=default_seams())
    window.sweep_panel.set_values({**sweep_values(vm, points=41, pairs=6, half_width_hz=6e6), "exposure_ms": "0.1"})
    assert not window.sweep_panel.edits["first_share"].isEnabled()  # only adaptive sampling has a first pass
    window.sweep_panel.sampling_box.setCurrentText("adaptive")
    form = window.sweep_panel.form
    assert form.valid and form.adaptive_share == 0.2 and window.sweep_panel.edits["first_share"].isEnabled()
    assert form.first_pass.n_steps == 21 and "adaptive" in window.sweep_panel.summary.text()
    window.start_sweep()
    path = window.session_actions.live_path
    assert window.controller.running and window.sweep_panel.sampling_box.isEnabled() is False
    qtbot.waitUntil(lambda: window.controller.snapshot().stage == ADAPTIVE, timeout=30000)
    window.refresh_all()
    assert ADAPTIVE in window.run_panel.status.text()
    plan = window.controller.adaptive_plan
    freq, sizes = window.spectrum_view.plan_marks()
    np.testing.assert_allclose(freq, plan.freq_hz)
    order = np.argsort(plan.pairs, kind="stable")
    assert np.all(np.diff(sizes[order]) >= 0) and sizes.max() > sizes.min()  # bigger marks, more pairs

    run_to_end(qtbot, window)
    assert window.controller.snapshot().status == "finished"
    qtbot.waitUntil(lambda: window.session_actions.writes_done >= 1 and not window.session_actions.busy,
                    timeout=20000)
    first, second = read_session(first_pass_path(path)), read_session(path)
    assert first.status == second.status == "finished"
    assert second.n_pairs.tolist() == list(plan.pairs_per_step)
    assert first.n_pairs.sum() + second.n_pairs.sum() == 41 * 6
    # the maps saved are those of both passes together (more distinct frequencies than the adaptive pass has)
    assert second.fit.settings["n_steps_used"] == window.controller.field_maps().n_steps_used > second.n_steps
    shown_freq, _ = window.controller.spectrum(10, 10)
    assert shown_freq.size == second.fit.settings["n_steps_used"]

    window.open_session(path)
    qtbot.waitUntil(lambda: window.review is not None, timeout=20000)
    window.refresh_all()
    freq, sizes = window.spectrum_view.plan_marks()
    np.testing.assert_allclose(freq, second.sample_metadata["adaptive_plan"]["freq_hz"])
    assert sizes.size == len(plan.pairs_per_step)
    assert "Adaptive pass after the first pass" in window.session_panel.info.toPlainText()
    window.leave_review()
    window.sweep_panel.sampling_box.setCurrentText("uniform")
    assert window.sweep_panel.form.adaptive_share is None
