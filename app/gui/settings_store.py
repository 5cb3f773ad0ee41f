"""Settings and window layout remembered between runs (QSettings, an INI file).

By default the file lives where Qt keeps per-user settings; tests and portable installs pass a path.
"""

import json
from pathlib import Path

from PyQt6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 8


def default_data_dir():
    """The per-user data folder (logs go under it): e.g. ~/.local/share/nvscope on Linux."""
    path = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(path or Path.home()) / "nvscope"


class SettingsStore:
    def __init__(self, path=None):
        if path is None:
            self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nvscope", "nvscope")
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self):
        return self._qs.fileName()

    def get_json(self, key, default):
        raw = self._qs.value(key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except (TypeError, ValueError):
            return default

    def set_json(self, key, value):
        self._qs.setValue(key, json.dumps(value))

    def get_bytes(self, key):
        raw = self._qs.value(key)
        return raw if isinstance(raw, QByteArray) else None

    def set_bytes(self, key, value):
        self._qs.setValue(key, value)

    def recent_files(self):
        return [p for p in self.get_json("files/recent", []) if isinstance(p, str)]

    def add_recent_file(self, path):
        paths = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.set_json("files/recent", paths[:MAX_RECENT])

    def sync(self):
        self._qs.sync()
