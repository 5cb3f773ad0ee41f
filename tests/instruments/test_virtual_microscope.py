"""The virtual microscope: dark frames, dips where the field puts them, the EMCCD noise law, the sensitivity."""

import numpy as np
import pytest

from analysis import physics
from instruments.virtual_microscope import (
    EmccdSettings,
    OpticsSettings,
    QuadraticBackground,
    VirtualMicroscope,
    VirtualSample,
    random_cells,
)

FLAT = QuadraticBackground((0.0,) * 6)


def _uniform_microscope(seed=0, **camera):
    sample = VirtualSample(n_rows=128, n_cols=128, background=FLAT)
    optics = OpticsSettings(beam_waist_m=1.0)  # flat illumination: every pixel is the same experiment
    return VirtualMicroscope(sample, optics=optics, camera=EmccdSettings(**camera), seed=seed)


def test_dark_frames_when_the_shutter_is_closed():
    vm = _uniform_microscope()
    cam = vm.camera
    dark = vm.render_frame(2.03e9, True, 0.0, False, 10e-3).astype(float)
    assert dark.mean() == pytest.approx(cam.bias_adu, abs=0.05)
    # only read noise is left: sigma = read_noise_e / electrons_per_adu (plus rounding, 1/12 ADU^2)
    expected_sd = np.sqrt((cam.read_noise_e / cam.electrons_per_adu) ** 2 + 1 / 12)
    assert dark.std() == pytest.approx(expected_sd, rel=0.03)
    lit = vm.render_frame(2.03e9, True, 0.0, True, 1e-3).astype(float)
    assert lit.mean() > 100 * cam.bias_adu


def test_the_dip_of_a_pixel_sits_where_its_field_puts_it():
    cells = (physics.LabelledCell(60 * 1.3e-6, 60 * 1.3e-6, 9e-6, 10e-6, 8e-15, 60, cluster_seed=2),)
    vm = VirtualMicroscope(VirtualSample(n_rows=96, n_cols=96, cells=cells), seed=1)
    cell_field = vm.sample.cell_field_t()
    row, col = np.unravel_index(np.argmax(cell_field), cell_field.shape)
    assert cell_field[row, col] > 30e-6  # a pixel on a strong dipole: its line is far from the others
    f_minus_expected, _ = physics.transitions_hz(vm.b_nv_map_t[row, col], vm.d_hz)
    freqs = f_minus_expected + np.linspace(-4e6, 4e6, 801)
    # many noisy frames per frequency would be slow; the mean image is the noise-free expectation
    spectrum = np.array([vm.expected_electrons(f, True, 0.0, True, 1e-3)[row, col] for f in freqs])
    dips = freqs[np.argsort(spectrum)[:2]]
    centre = dips.mean()
    assert abs(dips[1] - dips[0]) == pytest.approx(physics.HYPERFINE_15N_HZ, abs=30e3)
    assert centre == pytest.approx(f_minus_expected, abs=20e3)
    # the same centre from noisy frames: average of a few frames at each of the two dips vs off resonance
    on = np.mean([vm.render_frame(dips[0], True, 0.0, True, 1e-3)[row, col] for _ in range(20)])
    off = np.mean([vm.render_frame(dips[0], False, 0.0, True, 1e-3)[row, col] for _ in range(20)])
    assert 1 - (on - vm.camera.bias_adu) / (off - vm.camera.bias_adu) > 0.01
    # with RF off there is no dip at all
    flat = np.array([vm.expected_electrons(f, False, 0.0, True, 1e-3)[row, col] for f in freqs[::100]])
    assert np.ptp(flat) == 0.0


def test_frame_noise_matches_the_emccd_model():
    for mean_e in (5.0, 20.0, 400.0, 20000.0):  # exact path below 50 electrons, Gaussian limit above
        vm = _uniform_microscope(seed=3)
        rng = np.random.default_rng(5)
        from instruments.virtual_microscope import render_emccd_frame

        frames = np.stack([render_emccd_frame(np.full((128, 128), mean_e), vm.camera, rng) for _ in range(4)])
        frames = frames.astype(float)
        # 65536 samples: the variance is known to about sqrt(2/65536) = 0.6 %
        assert frames.mean() == pytest.approx(vm.camera.mean_adu(mean_e), rel=0.01)
        expected_var = vm.camera.variance_adu2(mean_e) + 1 / 12
        assert frames.var() == pytest.approx(expected_var, rel=0.05)


def test_em_gain_excess_noise_factor():
    assert EmccdSettings(em_gain=100).excess_noise_factor == pytest.approx(np.sqrt(2))
    assert EmccdSettings(em_gain=1).excess_noise_factor == 1.0


def test_sensitivity_from_simulated_frames_matches_the_setting():
    vm = _uniform_microscope(seed=7)
    exposure = 1e-3
    f_minus, _ = physics.transitions_hz(vm.b_nv_map_t[0, 0], vm.d_hz)
    freqs = f_minus + np.linspace(-3e6, 3e6, 1201)
    mean_curve = np.array([vm.expected_electrons(f, True, 0.0, True, exposure)[0, 0] for f in freqs])
    f_star = freqs[np.argmax(np.abs(np.gradient(mean_curve, freqs)))]
    cam = vm.camera
    to_electrons = cam.electrons_per_adu / cam.em_gain

    def electrons(freq):
        return (vm.render_frame(freq, True, 0.0, True, exposure).astype(float) - cam.bias_adu) * to_electrons

    frame = electrons(f_star)
    sigma_e = frame.std()  # pixel-to-pixel spread of identical pixels = single-frame noise
    step_hz = 20e3  # slope from frames, averaged over all pixels (noise of the mean is 1/256 of a frame's)
    slope_e_per_hz = (electrons(f_star + step_hz).mean() - electrons(f_star - step_hz).mean()) / (2 * step_hz)
    slope_e_per_t = abs(slope_e_per_hz) * physics.GYROMAGNETIC_RATIO_HZ_PER_T
    eta = sigma_e / slope_e_per_t * np.sqrt(exposure)
    setting = vm.optics.sensitivity_t_per_sqrt_hz
    assert setting / 1.5 < eta < setting * 1.5
    assert eta == pytest.approx(setting, rel=0.1)  # read noise and rounding are small at these counts


def test_frames_are_deterministic_for_a_seed():
    sample = VirtualSample(n_rows=64, n_cols=64, cells=random_cells(3, seed=4, n_rows=64, n_cols=64,
                                                                    min_separation_m=20e-6))
    a = VirtualMicroscope(sample, seed=11).render_frame(2.03e9, True, 0.0, True, 1e-3)
    b = VirtualMicroscope(sample, seed=11).render_frame(2.03e9, True, 0.0, True, 1e-3)
    c = VirtualMicroscope(sample, seed=12).render_frame(2.03e9, True, 0.0, True, 1e-3)
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)


def test_saturation_clips_at_uint16():
    vm = _uniform_microscope()
    frame = vm.render_frame(2.0e9, False, 0.0, True, 1.0)  # a whole second: far beyond full scale
    assert frame.dtype == np.uint16 and frame.max() == 65535


def test_random_cells_respect_the_geometry():
    cells = random_cells(15, seed=2)
    assert len(cells) == 15
    for c in cells:
        assert c.z_m >= c.diameter_m / 2
    assert random_cells(15, seed=2) == cells
    with pytest.raises(ValueError, match="n_cells = 500"):
        random_cells(500, seed=1, n_rows=64, n_cols=64)


def test_state_drives_frames():
    vm = _uniform_microscope()
    with vm.state.lock:
        vm.state.shutter_open = False
    assert vm.frame_from_state(1e-3).mean() == pytest.approx(vm.camera.bias_adu, abs=0.1)
    with vm.state.lock:
        vm.state.shutter_open = True
    assert vm.frame_from_state(1e-3).mean() > 1000
