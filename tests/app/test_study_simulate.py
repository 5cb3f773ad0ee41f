"""simulate-study: one session per concentration through the virtual microscope, with the samples' differences;
and the frame-sum shortcut it relies on (VirtualMicroscope.render_frame_sum)."""

import numpy as np
import pytest

from analysis import physics
from analysis.session import read_session
from app.cli.main import main
from app.core.study_simulation import DEFAULT_MEAN_Z_UM, default_samples, sample_microscope
from instruments.virtual_microscope import (
    PAPER_CONCENTRATIONS_UG_PER_ML,
    VirtualMicroscope,
    VirtualSample,
    saturation_field_t,
)


@pytest.mark.parametrize("shutter_open, exposure_s", [(True, 1e-3), (True, 2e-6), (False, 1e-3)])
def test_frame_sum_has_the_mean_and_variance_of_summed_frames(shutter_open, exposure_s):
    """Lit pixels (Gaussian branch), a few electrons per frame (exact Poisson-gamma branch), and dark frames."""
    scope = VirtualMicroscope(VirtualSample(n_rows=16, n_cols=16), seed=2)
    n_frames, trials = 20, 300
    f = scope.d_hz - 28e9 * scope.sample.bias_field_t
    summed = np.array([sum(scope.render_frame(f, True, 0.0, shutter_open, exposure_s).astype(np.float64)
                           for _ in range(n_frames)) for _ in range(trials)])
    drawn = np.array([scope.render_frame_sum(n_frames, f, True, 0.0, shutter_open, exposure_s).astype(np.float64)
                      for _ in range(trials)])
    var_summed, var_drawn = summed.var(axis=0, ddof=1), drawn.var(axis=0, ddof=1)
    # per-pixel mean difference in units of its standard error, averaged over 256 pixels: ~N(0, 1/16)
    z = (drawn.mean(0) - summed.mean(0)) / np.sqrt((var_summed + var_drawn) / trials)
    assert abs(z.mean()) < 0.3 and 0.8 < z.std() < 1.25
    # variances pooled over the 256 pixels: each estimate has ~8 % error, the pool ~0.5 %
    assert var_drawn.mean() == pytest.approx(var_summed.mean(), rel=0.03)
    expected_var = n_frames * (scope.camera.variance_adu2(scope.expected_electrons(f, True, 0.0, shutter_open,
                                                                                   exposure_s)) + 1 / 12)
    assert var_drawn.mean() == pytest.approx(expected_var.mean(), rel=0.03)


@pytest.mark.slow
def test_samples_differ_as_the_paper_describes():
    samples = default_samples(seed=0)
    assert [s.concentration_ug_per_ml for s in samples] == list(PAPER_CONCENTRATIONS_UG_PER_ML)
    assert len({s.n_cells for s in samples}) > 1 and all(15 <= s.n_cells <= 40 for s in samples)
    z = {s.concentration_ug_per_ml: s.mean_z_m for s in samples}
    assert z[500.0] < min(v for c, v in z.items() if c != 500.0) - 2e-6
    for spec in samples:
        expected = saturation_field_t(spec.concentration_ug_per_ml)
        # stratified masses: the sample mean lies on the saturation curve, the spread is the log-normal's
        scope = sample_microscope(spec)
        normalised = np.array([c.iron_mass_kg for c in scope.sample.cells]) * physics.normalised_field_per_kg()
        assert normalised.mean() == pytest.approx(expected, rel=1e-9)
        assert np.std(np.log(normalised)) == pytest.approx(0.35, rel=0.1)
        # independent draws: the mean scatters by s / sqrt(n) (~6 % here); 4 of those is the tolerance
        scope = sample_microscope(spec, mass_sampling="random")
        normalised = np.array([c.iron_mass_kg for c in scope.sample.cells]) * physics.normalised_field_per_kg()
        assert normalised.mean() == pytest.approx(expected, rel=4 * 0.36 / np.sqrt(spec.n_cells))
        heights = np.array([c.z_m for c in scope.sample.cells])
        assert np.all(np.abs(heights - spec.mean_z_m) <= 3e-6 + 1e-12) or spec.mean_z_m < 10e-6
        assert abs(heights.mean() - spec.mean_z_m) < 1.5e-6


def test_simulate_study_command_writes_one_session_per_concentration(tmp_path):
    out = tmp_path / "study"
    assert main(["simulate-study", "--out", str(out), "--size", "64", "64", "--pairs", "2", "--points", "10",
                 "--cells", "2", "2", "1", "2", "1", "--seed", "3"]) == 0
    paths = sorted(out.glob("*.h5"))
    assert len(paths) == 5
    by_conc = {}
    for path in paths:
        s = read_session(path)
        by_conc[s.sample_metadata["spion_concentration_ug_per_ml"]] = s
        assert s.status == "finished" and s.n_steps_completed == 10 and s.frame_shape == (64, 64)
        assert s.dark_frame_adu is not None and abs(float(s.dark_frame_adu.mean()) - 100.0) < 1.0
        assert np.all(s.n_pairs == 2)
        assert s.sample_metadata["pixel_size_m"] == pytest.approx(1.3e-6)
        assert s.truth is not None and "b_nv_t" in s.truth
        # lit sums: 2 frames of ~1e4 ADU each
        assert 2e3 < float(np.median(s.off_sum[0])) < 1e5
    assert sorted(by_conc) == list(PAPER_CONCENTRATIONS_UG_PER_ML)
    assert [len(by_conc[c].truth["cells"]) for c in sorted(by_conc)] == [2, 2, 1, 2, 1]
    # deterministic: the same seed gives the same sample and the same sums
    again = tmp_path / "again"
    assert main(["simulate-study", "--out", str(again), "--size", "64", "64", "--pairs", "2", "--points", "10",
                 "--cells", "2", "2", "1", "2", "1", "--seed", "3"]) == 0
    for path in paths:
        a, b = read_session(path), read_session(again / path.name)
        assert np.array_equal(a.on_sum, b.on_sum)
        assert a.truth["cells"] == b.truth["cells"]
    # and an existing study is never replaced silently
    assert main(["simulate-study", "--out", str(out), "--size", "64", "64", "--pairs", "2", "--points", "10",
                 "--cells", "2", "2", "1", "2", "1"]) != 0


def test_default_distances_put_the_500_sample_closest():
    assert min(DEFAULT_MEAN_Z_UM) == DEFAULT_MEAN_Z_UM[PAPER_CONCENTRATIONS_UG_PER_ML.index(500.0)]
