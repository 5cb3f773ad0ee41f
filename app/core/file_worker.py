"""The session-file process: writes session files for the window's process (``app.core.file_process``).

HDF5 (h5py) holds the GIL while it compresses and writes, so a 20-40 ms ``write_step`` in the sweep's thread
would freeze the window that long; in this process it costs the window nothing. One request at a time:
``{"op": ..., ...}`` -> ``{"ok": True, "result": ...}`` or ``{"ok": False, "error": <class>, "message": ...}``.
If the window's process goes away mid-acquisition, the file is finished as "failed" with a reason.
"""

import shutil

from analysis import session as sessions
from analysis.pipeline import fit_session_file, write_session_maps
from app.core.worker_process import serve


def _fit_session_file(path):
    fit_session_file(path)


CALLS = {"fit_session_file": _fit_session_file, "write_session_maps": write_session_maps,
         "write_cells": sessions.write_cells,
         "update_sample_metadata": sessions.update_sample_metadata, "copy": shutil.copy2}
_LOST = "the nvscope window's process ended during the acquisition; every step written before is in the file"


def _handle(message, state):
    op = message["op"]
    if op == "create":
        if state.get("writer") is not None and not state["writer"].closed:
            state["writer"].close()
        state["writer"] = sessions.SessionWriter.create(**message["kwargs"])
        return None
    if op == "write_step":
        return state["writer"].write_step(*message["args"])
    if op == "finish":
        writer = state["writer"]
        if not writer.closed:
            writer.finish(status=message["status"], reason=message["reason"])
        return None
    if op == "close":
        writer = state.get("writer")
        if writer is not None:
            writer.close()
        return None
    if op == "call":
        result = CALLS[message["name"]](*message.get("args", []), **message.get("kwargs", {}))
        return result if isinstance(result, dict | str | None) else None
    raise ValueError(f"unknown request {op!r}")


def _finish_lost(state):
    writer = state.get("writer")
    if writer is not None and not writer.closed:
        writer.finish(status="failed", reason=_LOST)


if __name__ == "__main__":  # python -m app.core.file_worker: requests on stdin, replies on stdout
    serve(_handle, on_lost=_finish_lost, niceness=5)  # compressing a step may wait; the window's threads go first
