"""The app's version, from the installed distribution when there is one."""

from importlib import metadata

try:
    APP_VERSION = metadata.version("nvscope")
except metadata.PackageNotFoundError:  # running from a source checkout
    APP_VERSION = "0.1.0+source"
