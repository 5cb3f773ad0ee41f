"""Which of the files given to a study are sessions of their own.

An adaptive measurement is two files: the adaptive pass the user named and its first pass ``<name>.pass1.h5``
beside it (``app.core.adaptive_plan``). Analysing the adaptive pass fits both together, so a study given both
(as ``study/*.h5`` gives them) must not count the first pass again as a session: its cells would be counted
twice. A first pass given without its adaptive pass stays: it is then the only record of that sample.
"""

import os

from app.core.adaptive_plan import first_pass_path


def without_first_passes(paths):
    """(sessions, skipped): ``paths`` less the first passes of adaptive passes also given, in the given order;
    skipped is a list of (path, why) for the user."""
    given = {os.path.realpath(os.fspath(p)): os.fspath(p) for p in paths}
    first_passes = {os.path.realpath(first_pass_path(p)): p for p in given.values()}
    sessions, skipped = [], []
    for path in map(os.fspath, paths):
        adaptive = first_passes.get(os.path.realpath(path))
        if adaptive is not None and os.path.realpath(adaptive) != os.path.realpath(path):
            skipped.append((path, f"the first pass of the adaptive measurement {adaptive}, analysed with it"))
        else:
            sessions.append(path)
    return sessions, skipped
