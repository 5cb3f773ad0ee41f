"""Regression (issue 13): when verification drops every candidate of a pass, the next detection pass must
not crash on the missing fits ('NoneType' object has no attribute 'reduced_chi2'), and the result says
no cell was found."""

import numpy as np

from analysis.cells import deblend
from analysis.cells.snippets import dipoles_map_t

PIXEL_M = 1.0e-6
NV = dict(nv_polar_deg=54.7356, nv_azimuth_deg=45.0)  # the [100] axis these maps are simulated with


def test_a_pass_whose_candidates_are_all_dropped_gives_no_cells(monkeypatch):
    rng = np.random.default_rng(3)
    noise_t = 2e-8
    m = dipoles_map_t((96, 96), PIXEL_M, [48.0], [48.0], [8e-6], [2e-15], **NV) + rng.normal(0, noise_t, (96, 96))
    real_fit = deblend.fit_cells_in_map
    calls = []

    def reject_everything(*args, **kwargs):  # a refinement that verifies nothing, as on the failing session
        calls.append(len(args[2]))
        return real_fit(*args, **{**kwargs, "verify_snr": 1e12})

    monkeypatch.setattr(deblend, "fit_cells_in_map", reject_everything)
    fits, detections = deblend.detect_and_fit(m, PIXEL_M, noise_t, detection_snr=5.0, **NV)
    assert calls and calls[0] >= 1  # the cell was detected, then dropped by the verification
    assert len(detections) >= 1
    assert fits.fits is None and len(fits.row) == 0  # an empty result, no crash
    assert np.array_equal(deblend._misfit_map((96, 96), fits), np.ones((96, 96)))
