"""The ``nvscope`` command: the GUI by default, and headless sub-commands that use the same engine."""

import argparse
import sys

from .version import APP_VERSION

# name -> (help, the issue that brings it); handlers are registered by the modules that implement them
_PLANNED = {
    "acquire": "run a CW-ODMR sweep headless (mock microscope with --mock) into a session file",
    "fit": "fit a session's ODMR cube, remove the background and store the field maps",
    "analyze": "detect cells in a session's field map and measure them (CNN + physics refinement)",
    "simulate-study": "write one simulated session per SPION concentration (labelling study)",
    "study": "compare many sessions: histograms, saturation fits, an HTML report",
}


def _add_gui(sub):
    p = sub.add_parser("gui", help="start the desktop app (the default; mock instruments unless configured)")
    p.add_argument("session", nargs="?", help="a session file to open in review mode")
    p.add_argument("--config", help="instrument configuration TOML (default: mock instruments)")
    p.set_defaults(handler=_run_gui)


def _run_gui(args):
    from .gui_main import run_gui

    return run_gui(args)


def _not_yet(name):
    def handler(args):
        print(f"nvscope {name}: not available in nvscope {APP_VERSION} yet.", file=sys.stderr)
        return 2

    return handler


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nvscope",
        description="NV-centre widefield magnetic microscope: CW-ODMR acquisition, field maps and per-cell "
        "SPION analysis. With no sub-command the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"nvscope {APP_VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_gui(sub)
    from . import commands

    registered = commands.register(sub)
    for name, help_text in _PLANNED.items():
        if name not in registered:
            sub.add_parser(name, help=help_text + " (not available yet)").set_defaults(handler=_not_yet(name))
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or sys.argv[1:])])
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
