"""Can Qt start on this machine? The system libraries PyQt6's wheels do not ship, and a display.

PyQt6 brings Qt itself but not the X11/xcb client libraries of the operating system; a stock Debian or
Ubuntu lacks some of them (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...), and Qt's own message
("Reinstalling the application may fix this problem") does not say which. This module asks the dynamic
linker (``ldd``) which libraries Qt's platform plugins cannot find, names the Debian packages that hold
them, and installs them with apt-get when run as root.

It uses the standard library only, so ``make`` runs it as a plain script before anything imports Qt::

    python app/gui/qt_system.py --platform xcb --install      # make run
    python app/gui/qt_system.py --platform offscreen --install  # make test
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

# Libraries whose Debian package is not the library's name with its version appended.
_PACKAGE_OF = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
}

# The Qt files each platform needs, relative to PyQt6's Qt6 folder.
_QT_FILES = {
    "offscreen": ("plugins/platforms/libqoffscreen.so", "lib/libQt6Widgets.so.6"),
    "xcb": ("plugins/platforms/libqxcb.so", "lib/libQt6XcbQpa.so.6", "lib/libQt6Widgets.so.6"),
}


def debian_package(soname):
    """The Debian package that usually holds a shared library: libfoo.so.4 -> libfoo4, libfoo2.so.0 ->
    libfoo2-0 (Debian's rule for names ending in a digit), with a table for the exceptions."""
    if soname in _PACKAGE_OF:
        return _PACKAGE_OF[soname]
    match = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if not match:
        return None
    stem, version = match.group(1).lower().replace("_", "-"), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def qt_folder():
    """PyQt6's bundled Qt folder in this environment, or None when PyQt6 is not installed."""
    folder = Path(sysconfig.get_paths()["purelib"]) / "PyQt6" / "Qt6"
    return folder if folder.is_dir() else None


def missing_libraries(platform, qt_dir=None):
    """Shared libraries that Qt's files for ``platform`` ('xcb' or 'offscreen') cannot find, sorted."""
    qt_dir = qt_dir or qt_folder()
    if qt_dir is None or shutil.which("ldd") is None:
        return []
    missing = set()
    for relative in _QT_FILES[platform]:
        path = Path(qt_dir) / relative
        if not path.exists():
            continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=30).stdout
        missing.update(line.split()[0] for line in out.splitlines() if "not found" in line)
    return sorted(missing)


def display_problem(environ=None, platform=None):
    """Why a window cannot open here (one paragraph with what to do), or None when it can.

    Linux only: without DISPLAY or WAYLAND_DISPLAY and with no QT_QPA_PLATFORM chosen, Qt would abort
    with its own message."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("nvscope: no display is available (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window "
            "cannot open. Run it from a desktop session or with X forwarding (ssh -X); for headless use "
            "start it with QT_QPA_PLATFORM=offscreen, or use the command line: nvscope --help.")


def _install_command(packages):
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


def ensure_libraries(platform, install, qt_dir=None, out=sys.stderr):
    """Check (and with ``install`` as root, install) the system libraries Qt needs; 0 when all are there."""
    missing = missing_libraries(platform, qt_dir)
    if not missing:
        return 0
    packages = sorted({debian_package(name) or name for name in missing})
    print(f"nvscope: Qt's {platform} platform needs system libraries this machine lacks: "
          f"{', '.join(missing)}.", file=out)
    can_install = install and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print("Install them with:\n    sudo apt-get update && sudo " + " ".join(_install_command(packages)),
              file=out)
        return 1
    print(f"Installing {' '.join(packages)} with apt-get ...", file=out)
    for command in (["apt-get", "update", "-qq"], _install_command(packages)):
        if subprocess.run(command, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}).returncode:
            print(f"nvscope: '{' '.join(command)}' failed; install the packages above by hand.", file=out)
            return 1
    still = missing_libraries(platform, qt_dir)
    if still:
        print(f"nvscope: still missing after the install: {', '.join(still)}.", file=out)
        return 1
    return 0


def platform_in_use(environ=None):
    """The platform Qt will load: 'offscreen' when QT_QPA_PLATFORM asks for it (or 'minimal'), else 'xcb'."""
    chosen = (os.environ if environ is None else environ).get("QT_QPA_PLATFORM", "")
    return "offscreen" if chosen.split(":")[0] in ("offscreen", "minimal") else "xcb"


def main(argv=None):
    parser = argparse.ArgumentParser(allow_abbrev=False,
                                     description="check the system libraries Qt needs (and install them as root)")
    parser.add_argument("--platform", choices=[*sorted(_QT_FILES), "auto"], default="auto",
                        help="the Qt platform to check; auto: the one QT_QPA_PLATFORM selects (default xcb)")
    parser.add_argument("--install", action="store_true", help="install what is missing with apt-get (root only)")
    args = parser.parse_args(argv)
    platform = platform_in_use() if args.platform == "auto" else args.platform
    return ensure_libraries(platform, args.install)


if __name__ == "__main__":
    sys.exit(main())
