"""A headless acquisition the way ``nvscope acquire`` runs one (sweep engine + session writer), with the RF
generator at a given SCPI resource: the subprocess that tests/instruments/test_safe_shutdown.py signals.
Prints "step N" after each written step. Exit status: 0 finished, 128 + signal when stopped by one.

    python -m tests.instruments.acquire_driver RESOURCE OUT.h5 N_STEPS
"""

import sys

import numpy as np

from analysis.session import SessionWriter
from app.core.session_subscriber import SessionSubscriber
from instruments.config import config_from_dict
from instruments.factory import open_instruments
from instruments.shutdown import exit_code_for, termination_signals_raise
from instruments.sweep import StepDone, SweepEngine, SweepPlan


def main(resource, out, n_steps):
    config = config_from_dict({"rf": {"driver": "scpi", "resource": resource, "timeout_s": 2.0},
                               "microscope": {"n_rows": 32, "n_cols": 32, "n_cells": 1}})
    freqs = np.linspace(2.80e9, 2.94e9, n_steps)
    plan = SweepPlan(tuple(freqs), pairs_per_step=2, n_sweeps=1, exposure_s=1e-3)

    def make_session(shape, dark):
        return SessionWriter.create(out, frame_shape=shape, freq_hz=freqs, plan=plan.to_dict(),
                                    instrument_settings={}, sample_metadata={}, dark_frame_adu=dark)

    def listen(event):
        if isinstance(event, StepDone):
            print(f"step {event.steps_done}", flush=True)

    try:
        with termination_signals_raise(), open_instruments(config) as inst:
            # the writer first: "step N" is printed once step N is in the file
            engine = SweepEngine(plan, inst.camera, inst.rf, inst.shutter,
                                 listeners=[SessionSubscriber(make_session), listen],
                                 frame_timeout_s=inst.frame_timeout_s)
            status = engine.run()
    except KeyboardInterrupt as exc:  # SIGINT, SIGTERM, SIGHUP: everything is safe by now
        print(f"stopped: {exc}", file=sys.stderr, flush=True)
        return exit_code_for(exc)
    return 0 if status == "finished" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
