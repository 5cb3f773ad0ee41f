"""The calibration: config keys -> Calibration -> session file -> analysis; older files keep opening."""

import numpy as np
import pytest

from analysis import physics
from analysis.calibration import Calibration, CalibrationError
from analysis.pipeline import session_pixel_size_m
from analysis.session import read_session, write_calibration
from instruments.config import config_from_dict
from instruments.errors import ConfigError
from tests.analysis.test_session_roundtrip import SAMPLE, make_session


def test_defaults_are_the_documented_ones():
    cal = config_from_dict({}).microscope.calibration()
    assert cal.pixel_size_m == pytest.approx(1.3e-6)
    assert cal.image_nv_polar_deg == pytest.approx(54.7356, abs=1e-4)
    assert cal.image_nv_azimuth_deg == pytest.approx(45.0)
    np.testing.assert_allclose(cal.nv_unit_vector(), physics.nv_axis(physics.NV_POLAR_ANGLE_DEG, 45.0), atol=1e-5)


def test_binning_multiplies_the_pixel_size():
    cal = config_from_dict({"microscope": {"pixel_size_um": 0.65, "binning": 4}}).microscope.calibration()
    assert cal.pixel_size_m == pytest.approx(2.6e-6)
    assert cal.analysis_kwargs()["pixel_size_m"] == pytest.approx(2.6e-6)


@pytest.mark.parametrize(("kwargs", "image_azimuth"), [
    ({"rotation_deg": 90}, 315.0),            # sample = R(90) image: the axis sits 90 deg back in the image
    ({"rotation_deg": 180}, 225.0),
    ({"flip_x": True}, 135.0),               # x -> -x
    ({"flip_y": True}, 315.0),               # y -> -y
    ({"flip_x": True, "flip_y": True}, 225.0),  # both flips = a 180 deg rotation
    ({"nv_sense": -1}, 45.0),                # -u gives the same map: the axis away from the layer is reported
    ({"nv_azimuth_deg": -45.0}, 315.0),
])
def test_image_frame_axis(kwargs, image_azimuth):
    cal = Calibration(1.3e-6, **kwargs)
    assert cal.image_nv_azimuth_deg == pytest.approx(image_azimuth)
    assert cal.image_nv_polar_deg == pytest.approx(physics.NV_POLAR_ANGLE_DEG)
    # the image-frame vector, mapped by the orientation (flip, then rotate), is the sample-frame axis
    u = cal.nv_unit_vector()
    v = np.array([u[0] * (-1 if cal.flip_x else 1), u[1] * (-1 if cal.flip_y else 1)])
    a = np.radians(cal.rotation_deg)
    v = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ v
    sample_u = cal.nv_sense * physics.nv_axis(cal.nv_polar_deg, cal.nv_azimuth_deg)
    np.testing.assert_allclose(cal.nv_sense * v, sample_u[:2], atol=1e-12)


@pytest.mark.parametrize(("table", "words"), [
    ({"pixel_size_um": 0.0}, "microscope.pixel_size_um = 0.0 is out of range"),
    ({"binning": 3.5}, "microscope.binning = 3.5 has the wrong type"),
    ({"rotation_deg": 45}, "microscope.rotation_deg = 45 is not allowed; it must be one of 0, 90, 180, 270"),
    ({"nv_sense": 0}, "microscope.nv_sense = 0 is not allowed"),
    ({"nv_polar_deg": 200.0}, "microscope.nv_polar_deg = 200.0 is out of range"),
    ({"flip_x": "yes"}, "microscope.flip_x = 'yes' has the wrong type"),
])
def test_config_errors_name_the_key_value_and_what_is_allowed(table, words):
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("(", r"\(")):
        config_from_dict({"microscope": table})


def test_calibration_errors_say_what_to_do():
    with pytest.raises(CalibrationError, match="unbinned camera pixel at the sample"):
        Calibration(0.0)
    with pytest.raises(CalibrationError, match="on-chip binning"):
        Calibration(1.3e-6, binning=0)


def test_session_round_trip(tmp_path):
    cal = Calibration(0.65e-6, binning=2, nv_azimuth_deg=135.0, flip_y=True, rotation_deg=270)
    path, _ = make_session(tmp_path / "s.h5", sample_metadata={**SAMPLE, "calibration": cal.to_attributes()})
    back = read_session(path).calibration
    assert back == Calibration(**{**cal.__dict__, "source": "session"})
    assert session_pixel_size_m(read_session(path)) == pytest.approx(1.3e-6)


def test_older_file_keeps_its_pixel_size_and_says_the_azimuth_is_assumed(tmp_path):
    path, _ = make_session(tmp_path / "old.h5", sample_metadata={**SAMPLE, "pixel_size_m": 2.6e-6})
    cal = read_session(path).calibration
    assert cal.pixel_size_m == pytest.approx(2.6e-6)
    assert cal.image_nv_azimuth_deg == pytest.approx(45.0)
    assert cal.source.startswith("assumed")


def test_file_without_any_pixel_size_fails_clearly_and_can_be_calibrated_later(tmp_path):
    path, _ = make_session(tmp_path / "none.h5", sample_metadata={**SAMPLE, "pixel_size_m": None})
    with pytest.raises(CalibrationError, match="write_calibration"):
        session_pixel_size_m(read_session(path))
    write_calibration(path, Calibration(1.0e-6, binning=3))
    session = read_session(path)
    assert session_pixel_size_m(session) == pytest.approx(3.0e-6)
    assert session.sample_metadata["pixel_size_m"] == pytest.approx(3.0e-6)
    assert session.sample_metadata["name"] == SAMPLE["name"]


def test_cells_of_a_binned_odmr_fit_get_the_binned_pixel(tmp_path, monkeypatch):
    import analysis.cells
    from analysis.session import write_field_map
    from analysis.session_cells import analyse_session_cells

    cal = Calibration(0.65e-6, binning=2)
    path, _ = make_session(tmp_path / "b.h5", sample_metadata={**SAMPLE, "calibration": cal.to_attributes()})
    write_field_map(path, {"b_nv_residual_t": np.zeros((4, 4))}, settings={"binning": 2})
    seen = {}

    def fake(b_nv_map_t, pixel_size_m, **kw):
        seen.update(kw, pixel_size_m=pixel_size_m)
        return []

    monkeypatch.setattr(analysis.cells, "analyze_field_map", fake)
    analyse_session_cells(path, use_cnn=False)
    assert seen["pixel_size_m"] == pytest.approx(2.6e-6)  # 0.65 um x camera binning 2 x fit binning 2
    assert seen["calibration"].pixel_size_m == pytest.approx(2.6e-6)
    assert seen["steps_done"] == seen["steps_planned"] == 3
