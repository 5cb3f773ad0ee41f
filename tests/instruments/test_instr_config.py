"""The instrument configuration: defaults, key-by-key override, and errors that name key, value and range."""

import pytest

from instruments.config import config_from_dict, default_config_path, load_config
from instruments.errors import ConfigError


def test_defaults_are_all_mocks():
    cfg = load_config()
    assert (cfg.camera.driver, cfg.rf.driver, cfg.shutter.driver) == ("mock", "mock", "mock")
    assert cfg.rf.dialect == "smb100a"
    assert cfg.rf.min_frequency_hz < 2.87e9 < cfg.rf.max_frequency_hz
    assert cfg.faults.rf().timeout_after_n_commands == 0
    assert default_config_path().name == "default_config.toml"


def test_user_file_overrides_key_by_key(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text('[rf]\ndriver = "scpi"\nresource = "TCPIP::10.0.0.5::5025::SOCKET"\nmax_power_dbm = 5\n'
                    '[faults]\ncamera_late_frame_s = 0.5\n')
    cfg = load_config(path)
    assert cfg.rf.driver == "scpi"
    assert cfg.rf.max_power_dbm == 5.0 and isinstance(cfg.rf.max_power_dbm, float)  # TOML int accepted
    assert cfg.rf.timeout_s == load_config().rf.timeout_s  # untouched keys keep their defaults
    assert cfg.faults.camera().late_frame_s == 0.5


@pytest.mark.parametrize("user, fragments", [
    ({"rf": {"max_power_dbm": 45}}, ["rf.max_power_dbm", "45", "[-150, 30]"]),
    ({"rf": {"max_pwr_dbm": 5}}, ["unknown key rf.max_pwr_dbm", "max_power_dbm"]),
    ({"camera": {"em_gain": "high"}}, ["camera.em_gain", "'high'", "wrong type", "[1, 1000]"]),
    ({"camera": {"exposure_s": True}}, ["camera.exposure_s", "True", "wrong type"]),
    ({"shutter": {"driver": "sc11"}}, ["shutter.driver", "'sc11'", "'sc10'", "'ksc101'"]),
    ({"shutter": {"baud_rate": 19200}}, ["shutter.baud_rate", "19200", "9600", "115200"]),
    ({"microscope": {"n_cells": -1}}, ["microscope.n_cells", "-1", "[0, 50]"]),
    ({"lasers": {"power": 1}}, ["unknown table [lasers]"]),
    ({"rf": 3}, ["must be a table [rf]"]),
    ({"rf": {"min_frequency_hz": 5e9}}, ["rf.min_frequency_hz", "rf.max_frequency_hz"]),
    ({"rf": {"driver": "scpi"}}, ["rf.resource", "scpi"]),
    ({"shutter": {"driver": "sc10"}}, ["shutter.resource", "ASRL"]),
    ({"shutter": {"driver": "ksc101"}}, ["shutter.serial_number"]),
    ({"faults": {"camera_late_frame_s": float("nan")}}, ["faults.camera_late_frame_s", "finite"]),
])
def test_invalid_values_name_key_value_and_range(user, fragments):
    with pytest.raises(ConfigError) as info:
        config_from_dict(user)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[rf\ndriver = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
