"""The GUI thread's reads of the acquisition controller never wait for its lock: a thread holding it (the niced
live fit, the sweep's thread) may have lost the CPU, and the event loop would stall for as long (issue 17)."""

import threading
import time

import numpy as np

from app.core.acquisition_controller import AcquisitionController
from instruments.sweep import SweepPlan
from tests.gui_helpers import small_microscope
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter


def _held(lock, release):
    with lock:
        release.wait(10)


def test_snapshot_spectrum_and_field_maps_answer_while_another_thread_holds_the_lock():
    vm = small_microscope()
    controller = AcquisitionController(fit_interval_s=1e9)  # no live fit asked during the sweep
    plan = SweepPlan.from_range(2025e6, 2033e6, 7, pairs_per_step=1)
    try:
        controller.start(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm))
        assert controller.wait(30) == "finished"
        fresh = controller.snapshot()
        assert fresh.status == "finished" and fresh.steps_done == 7
        release = threading.Event()
        holder = threading.Thread(target=_held, args=(controller._lock, release), daemon=True)
        holder.start()
        while not controller._lock.locked():
            time.sleep(0.001)
        t0 = time.perf_counter()
        held = controller.snapshot()
        freq_hz, values = controller.spectrum(3, 4)
        maps = controller.field_maps()
        waited_s = time.perf_counter() - t0
        release.set()
        holder.join(10)
        # the lock stays held for up to 10 s: answering at all shows nothing waited for it (1 s: a loaded machine)
        assert waited_s < 1.0
        # the state as of the last change, published whole by the writers: the same as with the lock free
        assert (held.status, held.steps_done, held.contrast_version, held.field_version, held.time_left_s) == (
            fresh.status, fresh.steps_done, fresh.contrast_version, fresh.field_version, fresh.time_left_s)
        assert held.contrast_image is fresh.contrast_image
        np.testing.assert_array_equal(freq_hz, plan.frequencies_hz)
        assert values.shape == (7,) and np.isfinite(values).all()
        assert maps is controller._field[1]
    finally:
        controller.close()
