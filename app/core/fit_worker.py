"""The live-fit process: fits the window's sweep as it runs (``app.core.fit_process`` is the window's side).

In the window's process the fit's numpy stages (input checks, the background's dilation, the quality map) held the
GIL for milliseconds at a time beside the GUI thread; here they cost the window nothing. The process keeps its own
copy of the sweep's spin-contrast cube, filled step by step, so a fit request carries only the steps that changed.
Requests (one at a time; ``app.core.worker_process.serve``):

- ``{"op": "setup", "n_steps": N, "shape": [rows, cols]}``: a new sweep (an empty cube, NaN);
- ``{"op": "steps", "index": [k, ...], "images": (k, rows, cols)}``: measured steps (new or averaged anew);
- ``{"op": "fit", "n_used": n, "freq_hz": ..., "transitions": 1|2, "model": ..., "d_hz": ..., "pixel_size_m": ...}``:
  fit the cube's first ``n`` steps; ``"cube"`` (rows, cols, n) and ``"sigma"`` instead fit those (an adaptive
  sweep's passes combined) -> ``app.core.field_maps.maps_message``;
- ``{"op": "warm_up", "model": ...}``: load the fit's compiled code now.
"""

import numpy as np

from app.core.analysis_seams import AnalysisSeams
from app.core.field_maps import fit_field_maps, leave_a_core_free, maps_message, warm_up_fit
from app.core.worker_process import serve


def _handle(message, state):
    op = message["op"]
    if op == "setup":
        rows, cols = (int(n) for n in message["shape"])
        state["cube"] = np.full((rows, cols, int(message["n_steps"])), np.nan, np.float32)
        return None
    if op == "steps":
        cube = _cube(state)
        for k, image in zip(message["index"], message["images"], strict=True):
            cube[:, :, int(k)] = image
        return None
    if op == "fit":
        leave_a_core_free()
        seams = AnalysisSeams(model=message["model"])
        if message.get("cube") is not None:
            cube = message["cube"]
        else:
            cube = np.ascontiguousarray(_cube(state)[:, :, :int(message["n_used"])])
        maps = fit_field_maps(seams, cube, np.asarray(message["freq_hz"], dtype=np.float64),
                              int(message["transitions"]), float(message["d_hz"]), message.get("pixel_size_m"),
                              sigma=message.get("sigma"))
        return maps_message(maps)
    if op == "warm_up":
        leave_a_core_free()
        warm_up_fit(AnalysisSeams(model=message["model"]))
        return None
    raise ValueError(f"unknown request {op!r}")


def _cube(state):
    if "cube" not in state:
        raise ValueError("the live-fit process has no sweep set up (it was restarted); the next fit sets it up")
    return state["cube"]


if __name__ == "__main__":  # python -m app.core.fit_worker: requests on stdin, replies on stdout
    serve(_handle)
