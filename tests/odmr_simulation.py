"""Simulated CW-ODMR spin-contrast cubes from the virtual microscope, shared by the ODMR tests."""

import numpy as np

from instruments.virtual_microscope import VirtualMicroscope, VirtualSample, random_cells


def strong_dipole_microscope(n_pixels=64, seed=11):
    """A 64 x 64 field with three heavily labelled cells close to the NV layer (6 pg Fe, z 7-10 um): with
    seed 11 their lines move from -6.6 to +4.8 MHz about the field's median, up to 8 line widths."""
    cells = random_cells(3, seed, n_rows=n_pixels, n_cols=n_pixels, z_range_m=(7e-6, 10e-6),
                         iron_mass_median_kg=6e-15, iron_mass_log_sd=0.2)
    return VirtualMicroscope(VirtualSample(n_rows=n_pixels, n_cols=n_pixels, cells=cells), seed=seed)


def spin_contrast_cube(vm, freq_hz, n_pairs=10, exposure_s=1e-3, rf_power_dbm=0.0):
    """Spin contrast = sum of RF-on frames / sum of RF-off frames (bias subtracted) at each frequency, from
    real EMCCD frames of the virtual microscope (shot noise, EM excess noise, read noise, digitisation)."""
    bias = vm.camera.bias_adu
    cube = np.empty(vm.shape + (len(freq_hz),))
    for i, f in enumerate(freq_hz):
        on = np.zeros(vm.shape)
        off = np.zeros(vm.shape)
        for _ in range(n_pairs):
            on += vm.render_frame(f, True, rf_power_dbm, True, exposure_s) - bias
            off += vm.render_frame(f, False, rf_power_dbm, True, exposure_s) - bias
        cube[:, :, i] = on / off
    return cube
