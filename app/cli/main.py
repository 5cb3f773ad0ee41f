"""The ``nvscope`` command: the GUI by default, and headless sub-commands that use the same engine."""

import argparse
import sys

from app.version import APP_VERSION


def _add_gui(sub):
    p = sub.add_parser("gui", help="start the desktop app (the default; mock instruments unless configured)")
    p.add_argument("session", nargs="?", help="a session file to open in review mode")
    p.add_argument("--config", help="instrument configuration TOML (default: mock instruments)")
    p.set_defaults(handler=_run_gui)


def _run_gui(args):
    from app.gui.gui_main import run_gui

    return run_gui(args)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nvscope",
        description="NV-centre widefield magnetic microscope: CW-ODMR acquisition, field maps and per-cell "
        "SPION analysis. With no sub-command the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"nvscope {APP_VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_gui(sub)
    from app.cli import commands

    commands.register(sub)
    return parser


def _user_errors():
    """Errors that mean "bad input or a problem to fix", reported as one clear line instead of a traceback."""
    from analysis.session import SessionError
    from instruments.errors import ConfigError, InstrumentError

    return (ValueError, OSError, SessionError, ConfigError, InstrumentError)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or sys.argv[1:])])
    try:
        return args.handler(args) or 0
    except _user_errors() as exc:
        print(f"nvscope {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
