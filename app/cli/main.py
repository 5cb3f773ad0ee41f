"""The ``nvscope`` command: the GUI by default, and headless sub-commands that use the same engine."""

import difflib
import sys
from pathlib import Path

from app.cli.parser import NvscopeParser, command_names, sub_parser_of
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
    parser = NvscopeParser(
        prog="nvscope",
        description="NV-centre widefield magnetic microscope: CW-ODMR acquisition, field maps and per-cell "
        "SPION analysis. With no sub-command the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"nvscope {APP_VERSION}")
    parser.add_argument("--config", dest="top_config", metavar="CONFIG",
                        help="instrument configuration TOML for the desktop app (nvscope --config my_lab.toml; "
                        "default: mock instruments on the virtual microscope)")
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


def _with_default_command(argv, commands):
    """``nvscope``, ``nvscope --config my_lab.toml`` and ``nvscope s.h5`` start the GUI: put "gui" in front
    when no sub-command is named (and no help or version is asked for)."""
    if any(a in ("-h", "--help", "--version") for a in argv):
        return argv
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--config":
            skip = True
            continue
        if arg.startswith("-"):
            continue
        if arg in commands:
            return argv
        if arg.endswith((".h5", ".hdf5")) or Path(arg).is_file():
            return ["gui", *argv]
        return argv  # argparse answers "invalid choice" with the list of sub-commands
    return ["gui", *argv]


def parse(parser, argv):
    """Parse; an unknown option is answered on the sub-command's own usage, with the closest option."""
    argv = _with_default_command(list(sys.argv[1:] if argv is None else argv), command_names(parser))
    commands = command_names(parser)
    first = next((a for a in argv if not a.startswith("-") or a == "--" or a not in parser.known_options()), None)
    if first is not None and first.startswith("--") and not any(a in commands for a in argv):
        # an option before (or without) a sub-command: the top-level usage would only say "invalid choice"
        every = sorted({o for c in commands for o in sub_parser_of(parser, c).known_options()})
        close = difflib.get_close_matches(first.split("=", 1)[0], every, n=1, cutoff=0.6)
        parser.error(f"unrecognized option {first}" + (f" (did you mean {close[0]}?)" if close else "")
                     + "; options go after a sub-command, e.g. 'nvscope acquire --cells 10'. See 'nvscope --help'.")
    args, extras = parser.parse_known_args(argv)
    if extras:
        (sub_parser_of(parser, args.command) or parser).unknown_options_error(extras)
    if getattr(args, "config", None) is None and args.top_config is not None:
        args.config = args.top_config  # nvscope --config my_lab.toml [gui ...]
    return args


def main(argv=None):
    parser = build_parser()
    args = parse(parser, argv)
    try:
        return args.handler(args) or 0
    except _user_errors() as exc:
        print(f"nvscope {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
