"""Configuration files that are not text, not TOML, absurdly nested, not files, or wrongly typed give a
ConfigError naming the file (or the key), never a builtin error or a hang (issue 13)."""

import os

import pytest

from instruments.config import load_config
from instruments.errors import ConfigError


@pytest.mark.parametrize("content, match", [
    (b"[rf]\nresource = \"caf\xe9\"\n", r"not UTF-8 text: byte 0xe9 at line 2"),
    (b"\xff\xfe[\x00r\x00f\x00]\x00", r"not UTF-8 text: byte 0xff at line 1"),
    (b"a = " + b"[" * 5000, "nests arrays or tables too deeply"),
    (b"[rf\n", "not valid TOML"),
    (b"rf = 5\n", r"must be a table \[rf\]"),
    (b"[rf]\ntimeout_s = \"slow\"\n", r"rf.timeout_s = 'slow' has the wrong type \(str\)"),
    (b"[rf]\ntimeout_s = nan\n", "not a finite number"),
    (b"[rf]\nmax_power_dbm = true\n", "wrong type"),
    (b"# " + b"x" * (1 << 20) + b"\n", "larger than"),
])
def test_bad_configs_say_what_and_where(tmp_path, content, match):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=match) as caught:
        load_config(path)
    assert "bad.toml" in str(caught.value) or "rf." in str(caught.value)


def test_fifo_and_folder_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)
