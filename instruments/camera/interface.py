"""The camera interface the sweep engine uses: pylablib's camera interface plus EM gain and RF gating.

Both cameras *are* pylablib cameras — the real one a subclass of ``pylablib.devices.Photometrics.PvcamCamera``
(``instruments.camera.pvcam``), the mock a subclass of ``pylablib.devices.interface.camera.IBinROICamera`` and
``IExposureCamera`` (``instruments.camera.mock``) — so frame buffering, ``wait_for_frame``, frame counters and
skipped-frame accounting are pylablib's own code on both. Units: seconds, pixels, frames.

Settings
    set_exposure(exposure_s) -> float         exposure time per frame (s); returns the value in force
    get_exposure() -> float
    get_frame_timings() -> (exposure, frame_period)   seconds
    get_detector_size() -> (width, height)    full sensor, pixels
    set_roi(hstart=0, hend=None, vstart=0, vend=None, hbin=1, vbin=1)  sensor window (end exclusive) and
                                              binning (on-chip: binned pixels are summed); returns get_roi()
    get_roi() -> (hstart, hend, vstart, vend, hbin, vbin)
    get_data_dimensions() -> (rows, cols)     shape of the frames read out (after ROI and binning)
    set_em_gain(gain) -> float                EM multiplication gain, 1 = EM register off
    get_em_gain() -> float
    set_trigger_mode(mode)                    "timed": free-running internal timing (both cameras);
                                              mock also "e_soft_edge": one exposure per send_software_trigger()
    supports_rf_gating: bool                  class attribute; True where set_rf_gating(True) is possible
    set_rf_gating(enabled) -> bool            the camera's trigger output drives an RF switch through a
                                              divide-by-two: exposures with an even frame stamp (the 1st, 3rd,
                                              ... of an acquisition) see the RF as the source has it, odd ones
                                              see the RF blocked, so one sequence gives on/off pairs
    get_rf_gating() -> bool

Acquisition (pylablib semantics; see ``pylablib.devices.interface.camera.ICamera``)
    setup_acquisition(mode="sequence" | "snap", nframes=100)   ring buffer of nframes frames; "snap" stops
                                              exposing after nframes frames
    start_acquisition(**params) / stop_acquisition() / acquisition_in_progress() -> bool
    wait_for_frame(since="lastread", nframes=1, timeout=20.0)  raises FrameTimeoutError when it times out
    read_multiple_images(rng=None, peek=False, missing_frame="skip", return_info=False, return_rng=False)
                                              uint16 frames (rows, cols); info per frame:
                                              TFrameInfo(frame_index, framestamp, ...) where framestamp counts
                                              exposures, so a lost exposure shows as a gap: reading across a
                                              lost frame raises DroppedFrameError (and consumes the range)
    get_frames_status() -> (acquired, unread, skipped, buffer_size)   skipped = overwritten before being read
    snap(timeout=5.0) -> frame                one software-started exposure (start, wait, read, stop)
    grab(nframes=1, frame_timeout=5.0) -> list of frames
    close()                                   stop and disconnect (pylablib: also ``with camera:``)

Errors: ``FrameTimeoutError``, ``DroppedFrameError``, ``InstrumentDisconnectedError`` (mock fault),
``DriverUnavailableError`` (PVCAM library missing), ``InstrumentError`` (anything else) — from
``instruments.errors``.
"""

from typing import Protocol, runtime_checkable


@runtime_checkable
class Camera(Protocol):
    supports_rf_gating: bool

    def set_exposure(self, exposure): ...
    def get_exposure(self): ...
    def get_frame_timings(self): ...
    def get_detector_size(self): ...
    def set_roi(self, hstart=0, hend=None, vstart=0, vend=None, hbin=1, vbin=1): ...
    def get_roi(self): ...
    def get_data_dimensions(self): ...
    def set_em_gain(self, gain): ...
    def get_em_gain(self): ...
    def set_rf_gating(self, enabled): ...
    def get_rf_gating(self): ...
    def setup_acquisition(self, mode="sequence", nframes=100): ...
    def start_acquisition(self, *args, **kwargs): ...
    def stop_acquisition(self): ...
    def acquisition_in_progress(self): ...
    def wait_for_frame(self, since="lastread", nframes=1, timeout=20.0, error_on_stopped=False): ...
    def read_multiple_images(self, rng=None, peek=False, missing_frame="skip", return_info=False,
                             return_rng=False): ...
    def get_frames_status(self): ...
    def snap(self, timeout=5.0, return_info=False): ...
    def grab(self, nframes=1, frame_timeout=5.0, missing_frame="skip", return_info=False, buff_size=None): ...
    def close(self): ...
