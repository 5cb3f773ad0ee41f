"""Making the file of a killed process an ordinary session file again (``nvscope recover FILE``).

HDF5 marks the superblock "open for writing" while any process writes the file (the acquisition, as a
SWMR writer; fit/analyze, appending results). A process that dies leaves that mark, and HDF5 then
refuses every ordinary open (nvscope, MATLAB, h5dump). ``recover_session``:

- checks no live process holds the file (the recorded acquisition writer's pid; HDF5's file lock);
- clears the mark with HDF5's own mechanism, the ``clear_status_flags`` open property that ``h5clear -s``
  uses (h5lib.py); only where the HDF5 library is unreachable it edits the superblock flag byte itself
  (superblock.py), and it grows a file whose dead writer reserved space it never wrote;
- for a killed acquisition: completes a step replacement the writer was in the middle of (from the
  journal), records status "interrupted", and compacts the file (compact.py).

Every completed step is kept; results of a killed fit are either the old or the new ones (results.py).
"""

import os
import socket

import numpy as np

from . import h5lib
from .compact import compact_session
from .errors import SessionFileError, SessionInUseError
from .layout import write_status
from .reader import read_session
from .safe_files import regular_file
from .schema import ACQUISITION, JOURNAL, STATUS_INTERRUPTED, STATUS_RUNNING, utc_now
from .superblock import WRITE_FLAG, clear_write_flags, stored_end_of_file
from .tree import open_h5


class RecoveryResult(str):
    """The file's status after recovery (compares equal to it, e.g. "interrupted"), with a summary:
    ``steps_kept`` of ``n_steps``, ``flags_cleared`` (a stale "open for writing" mark removed),
    ``journal_applied`` (a torn step completed), ``message`` (one line for the command line)."""

    def __new__(cls, status, *, steps_kept, n_steps, flags_cleared, journal_applied, path):
        self = super().__new__(cls, status)
        self.status, self.steps_kept, self.n_steps = str(status), steps_kept, n_steps
        self.flags_cleared, self.journal_applied = flags_cleared, journal_applied
        what = "cleared the stale 'open for writing' mark; " if flags_cleared else ""
        what += "completed a step from the journal; " if journal_applied else ""
        self.message = (f"{path}: {what or 'nothing to repair; '}status {status}, {steps_kept} of {n_steps} "
                        "steps hold data.")
        return self


def _writer_alive(attrs):
    """True/False if the recorded writer process is/is not running on this computer; None if unknown."""
    if attrs.get("writer_host") != socket.gethostname():
        return None
    try:
        os.kill(int(attrs["writer_pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (KeyError, ValueError, TypeError, OSError):
        return None
    return True


def _clear_marks(path):
    """Remove the superblock's "open for writing" marks (no live process may hold the file)."""
    stored = stored_end_of_file(path)
    if stored is not None and os.path.getsize(path) < stored[0]:
        os.truncate(path, stored[0])  # the dead writer reserved space it never wrote: HDF5 refuses short files
    try:
        if h5lib.clear_status_flags(path):
            return
    except OSError as exc:
        if "lock" in str(exc):
            raise SessionInUseError(f"{path} is held open by a running program (HDF5: {exc}); let it finish or "
                                    "close it, then recover again.") from exc
        raise SessionFileError(f"{path}: HDF5 could not open it to clear its marks ({exc}); the file is "
                               "damaged beyond what recovery repairs.") from exc
    clear_write_flags(path)


def recover_session(path, *, force=False):
    """Turn the file of a process that died while writing it into an ordinary session file. Returns a
    RecoveryResult: the status afterwards (a str) with a summary (steps kept, what was repaired).

    A killed acquisition ("running") becomes status "interrupted" with every completed step. A file left
    marked "open for writing" by a killed fit/analysis is unmarked (its data and earlier results are
    intact). Other files are left alone. Refuses while the recorded acquisition writer is still alive on
    this computer, or when that cannot be checked (file written on another computer) unless
    ``force=True``: clearing the marks under a live writer would damage the file.
    """
    path = regular_file(path)
    stored = stored_end_of_file(path)
    flags_cleared = False
    if stored is not None and stored[1] & WRITE_FLAG and not stored[1] & 0x04:
        _clear_marks(path)  # a killed fit/analysis: a plain writer, no SWMR; HDF5's lock tells if it lives
        flags_cleared = True
    session = read_session(path)  # checks it is a readable session of a known schema
    summary = {"steps_kept": session.n_steps_completed, "n_steps": session.n_steps, "path": path}
    if session.status != STATUS_RUNNING:
        return RecoveryResult(session.status, flags_cleared=flags_cleared, journal_applied=False, **summary)
    with open_h5(path, "r") as h5file:
        attrs = dict(h5file.attrs)
    alive = _writer_alive(attrs)
    if alive and not force:
        raise SessionInUseError(f"{path}: its writer (process {attrs.get('writer_pid')}) is still running; "
                                "wait for it to finish or stop it first.")
    if alive is None and not force:
        raise SessionInUseError(
            f"{path} was written on {attrs.get('writer_host')!r}, so whether its writer still runs cannot be "
            f"checked from here; make sure it has stopped, then run `nvscope recover --force {path}`."
        )
    stored = stored_end_of_file(path)
    if stored is not None and stored[1]:
        _clear_marks(path)
        flags_cleared = True
    with open_h5(path, "r+") as h5file:
        acq, journal = h5file[ACQUISITION], h5file[JOURNAL]
        step = int(journal["step_index"][0])
        if step >= 0:  # complete the replacement the writer was doing (the journal holds the new totals)
            acq["on_sum"][step] = journal["on_sum"][()]
            acq["off_sum"][step] = journal["off_sum"][()]
            n_pairs, n_sweeps, last = (int(v) for v in journal["counts"][()])
            acq["n_pairs"][step], acq["n_sweeps"][step], acq["last_sweep_index"][step] = n_pairs, n_sweeps, last
            acq["step_done"][step] = 1
            acq["t_start_s"][step], acq["t_end_s"][step] = journal["times_s"][()]
            h5file.flush()
            journal["step_index"][0] = -1
        done = int(np.count_nonzero(acq["step_done"][()]))
        reason = (f"the writing process stopped without finishing (killed or crashed) when {done} of "
                  f"{acq['freq_hz'].shape[0]} steps held data; recovered {utc_now()}")
        write_status(acq, STATUS_INTERRUPTED, reason, "")
        replaced_steps = int(acq["n_sweeps"][()].max()) > 1
    if replaced_steps:
        compact_session(path)
    summary["steps_kept"] = done
    return RecoveryResult(STATUS_INTERRUPTED, flags_cleared=flags_cleared, journal_applied=step >= 0, **summary)
