"""The mock EMCCD: a pylablib camera whose frames the virtual microscope renders from the *current* state of
the mock RF source and shutter (``microscope.state``), sampled when each exposure starts — nobody tells the
camera what the RF is doing, as with a real camera.

A worker thread plays the sensor: it starts an exposure (free-running every frame period in "timed" mode, or
on ``send_software_trigger()`` in "e_soft_edge" mode), samples the state, renders the frame (full sensor, then
ROI and on-chip binning: summed, saturating at 65535), waits out the frame period and publishes the frame into
a ring buffer. Everything else — ``wait_for_frame``, ``read_multiple_images``, frame counters, skipped frames,
``snap``/``grab`` — is pylablib's ``ICamera`` code. Frame period = max(exposure, readout) (frame-transfer CCD).
"""

import dataclasses
import threading
import time
from collections import namedtuple

import numpy as np
from pylablib.core.devio import interface
from pylablib.devices.interface import camera

from ..errors import FrameTimeoutError, InstrumentDisconnectedError, InstrumentError
from ..faults import CameraFaults
from .frame_checks import FrameChecks

TFrameInfo = namedtuple("TFrameInfo", ["frame_index", "framestamp", "timestamp_start_ns"])
_MAX_EXPOSURE_S = 10.0
_MAX_BIN = 16


class MockCamera(FrameChecks, camera.IBinROICamera, camera.IExposureCamera):
    """Mock EMCCD imaging ``microscope`` (a ``VirtualMicroscope``). ``readout_s`` is the sensor readout time."""

    Error = InstrumentError
    TimeoutError = FrameTimeoutError
    _TFrameInfo = TFrameInfo
    camera_label = "mock camera"
    supports_rf_gating = True

    def __init__(self, microscope, exposure_s=0.0, readout_s=0.0, em_gain=None, faults=None):
        super().__init__()
        self.microscope = microscope
        self.faults = faults if faults is not None else CameraFaults()
        self._readout_s = float(readout_s)
        self._exposure_s = 0.0
        n_rows, n_cols = microscope.shape
        self._roi = (0, n_cols, 0, n_rows, 1, 1)
        self._trigger_mode = "timed"
        self._rf_gating = False
        self._cond = threading.Condition()
        self._generation = 0
        self._running = False
        self._slots = None
        self._acquired = 0
        self._exposures = 0
        self._target = None
        self._pending_triggers = 0
        self._lost = False
        self._frames_since_armed = 0
        self._quit = False
        self._worker = None
        self.open()
        self.set_exposure(exposure_s)
        if em_gain is not None:
            self.set_em_gain(em_gain)
        self._add_settings_variable("em_gain", self.get_em_gain, self.set_em_gain)
        self._add_settings_variable("trigger_mode", self.get_trigger_mode, self.set_trigger_mode)
        self._add_settings_variable("rf_gating", self.get_rf_gating, self.set_rf_gating)

    # --- connection --------------------------------------------------------------------------------------
    def open(self):
        if self._worker is not None and self._worker.is_alive():
            return
        self._quit, self._lost = False, False
        self._worker = threading.Thread(target=self._run, name="mock-camera", daemon=True)
        self._worker.start()

    def close(self):
        """Stop the acquisition and the sensor thread (idempotent)."""
        if self._worker is None:
            return
        self.clear_acquisition()
        with self._cond:
            self._quit = True
            self._cond.notify_all()
        self._worker.join(timeout=5.0)
        self._worker = None

    def is_opened(self):
        return self._worker is not None

    def _get_connection_parameters(self):
        return "mock"

    def arm_faults(self, faults):
        """Replace the faults. ``disconnect_after_n_frames`` counts the frames delivered from now on, over any
        number of acquisitions (so a sweep can lose its camera in the middle); the periodic faults count the
        exposures of each acquisition."""
        with self._cond:
            self.faults = faults
            self._frames_since_armed = 0

    # --- settings ------------------------------------------------------------------------------------------
    def get_detector_size(self):
        n_rows, n_cols = self.microscope.shape
        return n_cols, n_rows

    def set_exposure(self, exposure):
        value = float(exposure)
        if not 0.0 <= value <= _MAX_EXPOSURE_S:
            raise InstrumentError(f"exposure {value!r} s is outside [0, {_MAX_EXPOSURE_S:g}] s.")
        self._exposure_s = value
        return self.get_exposure()

    def get_exposure(self):
        return self._exposure_s

    def get_frame_timings(self):
        return self._TAcqTimings(self._exposure_s, max(self._exposure_s, self._readout_s))

    def set_em_gain(self, gain):
        """EM gain of the virtual microscope's EMCCD model (1 .. 1000); returns the gain in force."""
        value = float(gain)
        if not 1.0 <= value <= 1000.0:
            raise InstrumentError(f"EM gain {value!r} is outside [1, 1000] (config: camera.em_gain).")
        self.microscope.camera = dataclasses.replace(self.microscope.camera, em_gain=value)
        return self.get_em_gain()

    def get_em_gain(self):
        return float(self.microscope.camera.em_gain)

    _p_trigger_mode = interface.EnumParameterClass("trigger_mode", ["timed", "e_soft_edge"])

    @interface.use_parameters(mode="trigger_mode")
    def set_trigger_mode(self, mode):
        """"timed" (free-running) or "e_soft_edge" (one exposure per ``send_software_trigger()``)."""
        with self._cond:
            self._trigger_mode = mode
            self._cond.notify_all()
        return self.get_trigger_mode()

    def get_trigger_mode(self):
        return self._trigger_mode

    def send_software_trigger(self):
        """Start one exposure in "e_soft_edge" mode; False if not in that mode or not acquiring."""
        with self._cond:
            if self._trigger_mode != "e_soft_edge" or not self._running:
                return False
            self._pending_triggers += 1
            self._cond.notify_all()
        return True

    def set_rf_gating(self, enabled):
        with self._cond:
            self._rf_gating = bool(enabled)
        return self._rf_gating

    def get_rf_gating(self):
        return self._rf_gating

    def get_roi(self):
        return self._roi

    def get_roi_limits(self, hbin=1, vbin=1):
        width, height = self.get_detector_size()
        return (camera.TAxisROILimit(1, width, 1, 1, _MAX_BIN), camera.TAxisROILimit(1, height, 1, 1, _MAX_BIN))

    @camera.acqcleared
    def set_roi(self, hstart=0, hend=None, vstart=0, vend=None, hbin=1, vbin=1):
        hlim, vlim = self.get_roi_limits()
        hstart, hend, hbin = self._truncate_roi_axis((hstart, hend, hbin), hlim)
        vstart, vend, vbin = self._truncate_roi_axis((vstart, vend, vbin), vlim)
        hend = hstart + max(1, (hend - hstart) // hbin) * hbin  # whole super-pixels only
        vend = vstart + max(1, (vend - vstart) // vbin) * vbin
        self._roi = (hstart, min(hend, hlim.max), vstart, min(vend, vlim.max), hbin, vbin)
        return self.get_roi()

    def _get_data_dimensions_rc(self):
        hstart, hend, vstart, vend, hbin, vbin = self._roi
        return (vend - vstart) // vbin, (hend - hstart) // hbin

    def _apply_roi(self, frame):
        hstart, hend, vstart, vend, hbin, vbin = self._roi
        window = frame[vstart:vend, hstart:hend]
        if hbin == 1 and vbin == 1:
            return np.ascontiguousarray(window)
        rows, cols = (vend - vstart) // vbin, (hend - hstart) // hbin
        summed = window[:rows * vbin, :cols * hbin].reshape(rows, vbin, cols, hbin).sum(axis=(1, 3), dtype=np.uint32)
        return np.minimum(summed, 65535).astype(np.uint16)

    # --- acquisition ---------------------------------------------------------------------------------------
    @interface.use_parameters(mode="acq_mode")
    def setup_acquisition(self, mode="sequence", nframes=100):
        """Ring buffer of ``nframes`` frames; "snap" stops exposing after ``nframes`` frames."""
        self.stop_acquisition()
        super().setup_acquisition(mode=mode, nframes=max(1, int(nframes)))

    def clear_acquisition(self):
        self.stop_acquisition()
        with self._cond:
            self._slots = None
        super().clear_acquisition()

    def start_acquisition(self, *args, **kwargs):
        self.stop_acquisition()
        super().start_acquisition(*args, **kwargs)
        nframes, mode = self._acq_params["nframes"], self._acq_params["mode"]
        self._frame_counter.reset(nframes)
        with self._cond:
            if self._lost:
                raise InstrumentDisconnectedError("the mock camera is disconnected (injected fault); close and "
                                                  "reopen it.")
            self._generation += 1
            self._slots = [None] * nframes
            self._acquired, self._exposures, self._pending_triggers = 0, 0, 0
            self._target = nframes if mode == "snap" else None
            self._running = True
            self._cond.notify_all()

    def stop_acquisition(self):
        with self._cond:
            if self._running:
                self._running = False
                self._generation += 1
                self._cond.notify_all()
        super().stop_acquisition()

    def acquisition_in_progress(self):
        return self._running

    def _get_acquired_frames(self):
        if self._lost:
            raise InstrumentDisconnectedError("the mock camera stopped responding (injected fault: "
                                              "faults.camera_disconnect_after_n_frames).")
        return None if self._slots is None else self._acquired

    _wait_sleep_period = 0.5e-3
    """How often a wait for a frame looks for it, in s (pylablib's own cameras poll at 1 ms)."""

    def _wait_for_next_frame(self, timeout=20.0, idx=None):
        """One short sleep, as pylablib's ``ICamera`` does (its ``wait_for_frame`` calls this in a loop until the
        frame is there or the time is up). A published frame wakes nobody: a real camera's frame comes from its
        driver, but a Python thread that wakes another with ``Condition.notify`` holds the GIL while doing so,
        and the woken thread preempted it there; the sensor thread then waited for a CPU, GIL and all, while
        every Python thread waited for it (py-spy --gil: ~0.5 s of a 9 s sweep beside two CPU-bound
        processes, the GUI's longest stalls with it)."""
        time.sleep(self._wait_sleep_period if timeout is None else max(0.0, min(self._wait_sleep_period, timeout)))

    def _read_frames(self, rng, return_info=False):
        slots = self._slots
        entries = [slots[i % len(slots)] for i in range(*rng)]
        previous = None
        if rng[0] > 0 and slots[(rng[0] - 1) % len(slots)] is not None:
            previous_info = slots[(rng[0] - 1) % len(slots)][1]
            if previous_info.frame_index == rng[0] - 1:
                previous = (rng[0] - 1, previous_info.framestamp)
        elif rng[0] == 0:
            previous = (-1, -1)  # the first exposure of an acquisition has stamp 0
        self._raise_if_dropped(rng, range(*rng), [info.framestamp for _, info in entries], previous)
        return [frame for frame, _ in entries], [info for _, info in entries]

    # --- the sensor thread ---------------------------------------------------------------------------------
    def _may_expose(self):
        if not self._running or self._lost or (self._target is not None and self._exposures >= self._target):
            return False
        return self._trigger_mode == "timed" or self._pending_triggers > 0

    def _run(self):
        next_start = 0.0
        generation = None
        while True:
            with self._cond:
                while not self._quit and not self._may_expose():
                    self._cond.wait()
                if self._quit:
                    return
                if generation != self._generation:
                    generation, next_start = self._generation, 0.0
                if self._trigger_mode == "e_soft_edge":
                    self._pending_triggers -= 1
                    next_start = 0.0
                stamp = self._exposures
                self._exposures += 1
                exposure_s, period_s = self.get_frame_timings()
                gated_off = self._rf_gating and stamp % 2 == 1
                faults = self.faults
            now = time.monotonic()
            start = max(now, next_start)
            if start > now:
                time.sleep(start - now)
            frame, timestamp_ns = self._expose(exposure_s, gated_off)
            number = stamp + 1
            late_s = faults.late_frame_s if faults.late_frame_every_n and number % faults.late_frame_every_n == 0 \
                else 0.0
            next_start = start + period_s
            ready_at = next_start + late_s
            wait_s = ready_at - time.monotonic()  # read the clock once: it moves between a check and a sleep
            if wait_s > 0:
                time.sleep(wait_s)
            dropped = bool(faults.drop_frame_every_n) and number % faults.drop_frame_every_n == 0
            self._publish(generation, frame, stamp, timestamp_ns, dropped, faults)

    def _expose(self, exposure_s, gated_off):
        """Sample the microscope state now (exposure start) and render this exposure."""
        timestamp_ns = time.monotonic_ns()
        freq_hz, power_dbm, rf_on, shutter_open = self.microscope.state.snapshot()
        frame = self.microscope.render_frame(freq_hz, rf_on and not gated_off, power_dbm, shutter_open, exposure_s)
        return self._apply_roi(frame), timestamp_ns

    def _publish(self, generation, frame, stamp, timestamp_ns, dropped, faults):
        with self._cond:
            if generation != self._generation or self._slots is None:
                return  # the acquisition was stopped or restarted while this frame was exposed
            if not dropped:
                index = self._acquired
                self._slots[index % len(self._slots)] = (frame, TFrameInfo(index, stamp, timestamp_ns))
                self._acquired += 1
                self._frames_since_armed += 1
                if faults.disconnect_after_n_frames and self._frames_since_armed >= faults.disconnect_after_n_frames:
                    self._lost = True
            # no notify: waits for frames poll (``_wait_for_next_frame``)

    def __repr__(self):
        return f"MockCamera({self.get_detector_size()[0]}x{self.get_detector_size()[1]})"
