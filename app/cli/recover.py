"""``nvscope recover FILE``: make the file of a killed acquisition or analysis openable again (docs/safety.md)."""

import sys


def add_parser(sub):
    p = sub.add_parser("recover", help="make a session file whose writer was killed openable again",
                       description="Clear the 'open for writing' mark a killed acquisition, fit or analysis left "
                       "in a session file, complete a half-written step from the file's journal, and record a "
                       "killed acquisition as 'interrupted'. Every completed step is kept. A file whose writer "
                       "still runs is refused.")
    p.add_argument("sessions", nargs="+", metavar="FILE", help="session files (.h5)")
    p.add_argument("--force", action="store_true",
                   help="recover even when the writer's process cannot be checked (the file was written on "
                   "another computer): make sure it has stopped first")
    p.set_defaults(handler=run)
    return "recover"


def run(args):
    from analysis.session import SessionError, recover_session

    code = 0
    for path in args.sessions:
        try:
            print(recover_session(path, force=args.force).message)
        except SessionError as exc:
            print(f"nvscope recover: error: {exc}", file=sys.stderr)
            code = 1
    return code
