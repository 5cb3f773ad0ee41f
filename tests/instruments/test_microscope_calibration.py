"""The mock microscope images its sample with the config's calibration."""

import pytest

from instruments.config import config_from_dict
from instruments.factory import build_microscope


def test_mock_sample_takes_pixel_size_binning_and_axis_from_the_config():
    cfg = config_from_dict({"microscope": {"pixel_size_um": 0.65, "binning": 4, "rotation_deg": 90, "n_cells": 2}})
    sample = build_microscope(cfg.microscope).sample
    assert sample.pixel_size_m == pytest.approx(2.6e-6)
    assert sample.nv_azimuth_deg == pytest.approx(315.0)  # 45 deg in the sample frame, the camera turned by 90


def test_defaults_are_unchanged():
    sample = build_microscope(config_from_dict({}).microscope).sample
    assert sample.pixel_size_m == pytest.approx(1.3e-6) and sample.nv_azimuth_deg == pytest.approx(45.0)
