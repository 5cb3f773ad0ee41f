"""Making the file of a killed acquisition an ordinary session file again.

A SWMR writer marks the HDF5 superblock "open for writing"; a process that dies leaves that mark, and
HDF5 then refuses every non-SWMR open (MATLAB, h5dump, appending results). ``read_session`` already reads
such files (it opens them as a SWMR reader). ``recover_session`` clears the mark (what the HDF5 tool
``h5clear -s`` does), completes a step replacement the writer was in the middle of (from the journal),
records status "interrupted", and compacts the file (compact.py). Every completed step is kept.
"""

import os
import socket

import numpy as np

from .compact import compact_session
from .errors import SessionInUseError
from .reader import read_session
from .schema import ACQUISITION, JOURNAL, STATUS_INTERRUPTED, STATUS_RUNNING, utc_now
from .superblock import clear_write_flags
from .tree import open_h5
from .writer import write_status


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


def recover_session(path, *, force=False):
    """Turn the file of an acquisition whose process died into an ordinary, finished session file with
    status "interrupted" (its reason says how many steps hold data). Returns the status afterwards.

    Files that are not "running" are left alone. Refuses while the recorded writer process is still alive
    on this computer, or when that cannot be checked (file written on another computer) unless
    ``force=True``: clearing the flags under a live writer would damage the file.
    """
    path = os.fspath(path)
    session = read_session(path)  # checks it is a readable session of a known schema, via SWMR
    if session.status != STATUS_RUNNING:
        return session.status
    with open_h5(path, "r") as h5file:
        attrs = dict(h5file.attrs)
    alive = _writer_alive(attrs)
    if alive and not force:
        raise SessionInUseError(f"{path}: its writer (process {attrs.get('writer_pid')}) is still running; "
                                "wait for it to finish or stop it first.")
    if alive is None and not force:
        raise SessionInUseError(
            f"{path} was written on {attrs.get('writer_host')!r}, so whether its writer still runs cannot be "
            "checked from here; make sure it has stopped, then call recover_session(path, force=True)."
        )
    clear_write_flags(path)
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
    return STATUS_INTERRUPTED
