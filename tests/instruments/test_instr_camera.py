"""The mock camera through pylablib's own acquisition calls, imaging the virtual microscope as the mock RF
source (a real SCPI server reached through pyvisa) and the mock shutter leave it; and the PVCAM driver's
behaviour without the PVCAM library."""

import threading
import time

import numpy as np
import pytest

from analysis import physics
from instruments.camera import Camera, MockCamera, framestamp_gaps, open_pvcam_camera
from instruments.errors import (
    DriverUnavailableError,
    DroppedFrameError,
    FrameTimeoutError,
    InstrumentDisconnectedError,
)
from instruments.faults import CameraFaults
from instruments.rf import MockScpiServer, RfLimits, ScpiRfSource
from instruments.shutter import MockShutter
from instruments.virtual_microscope import VirtualMicroscope, VirtualSample

EXPOSURE_S = 1e-3  # ~1.2e5 photo-electrons at the beam centre: 0.4 % shot noise per pixel, far from saturation
BLOCK = (slice(28, 36), slice(28, 36))  # 8 x 8 pixels at the centre: the field varies by << a line width there


@pytest.fixture
def chain():
    """Microscope + mock SCPI generator (through pyvisa) + mock shutter + mock camera, as the app wires them."""
    vm = VirtualMicroscope(VirtualSample(n_rows=64, n_cols=64), seed=3)
    with MockScpiServer("smb100a", state=vm.state) as server:
        rf = ScpiRfSource(server.resource_name, "smb100a", RfLimits(1e9, 4e9, 10.0), 0.5)
        shutter = MockShutter(vm.state)
        cam = MockCamera(vm, exposure_s=EXPOSURE_S)
        yield vm, rf, shutter, cam
        cam.close()
        rf.close()
        shutter.close()


def _signal(frame, vm):
    """Bias-subtracted mean ADU over the centre block."""
    return float(frame[BLOCK].mean()) - vm.camera.bias_adu


def _line_hz(vm):
    """A hyperfine line of the f_minus transition at the centre block (analysis.physics)."""
    f_minus, _ = physics.transitions_hz(vm.b_nv_map_t[BLOCK].mean(), vm.d_hz)
    return float(f_minus) + float(physics.hyperfine_offsets_hz(vm.spin.isotope)[0])


def test_frames_show_the_dip_only_with_rf_on_and_shutter_open(chain):
    vm, rf, shutter, cam = chain
    assert isinstance(cam, Camera)
    line_hz = _line_hz(vm)
    rf.set_power_dbm(0.0)
    rf.set_frequency_hz(line_hz)
    shutter.open_shutter()
    reference = _signal(cam.snap(), vm)  # RF output still off (connecting switched it off)
    rf.set_output(True)
    on_resonance = _signal(cam.snap(), vm)
    rf.set_frequency_hz(line_hz + 20e6)
    off_resonance = _signal(cam.snap(), vm)
    rf.set_frequency_hz(line_hz)
    shutter.close_shutter()
    dark = _signal(cam.snap(), vm)
    expected = vm.expected_electrons(line_hz, True, 0.0, True, EXPOSURE_S)[BLOCK].mean() / \
        vm.expected_electrons(line_hz, False, 0.0, True, EXPOSURE_S)[BLOCK].mean()
    assert expected < 0.99  # a real dip to look for
    # 64 pixels x ~1.2e5 e each with EM excess noise: ratio noise ~7e-4; 3e-3 is > 4 sigma
    assert on_resonance / reference == pytest.approx(expected, abs=3e-3)
    assert off_resonance / reference == pytest.approx(1.0, abs=3e-3)
    assert abs(dark) < 2.0  # shutter closed: bias only (read noise 1 ADU per pixel, /8 over the block)


def test_a_frequency_sweep_finds_the_pixel_resonance(chain):
    vm, rf, shutter, cam = chain
    line_hz = _line_hz(vm)
    shutter.open_shutter()
    rf.set_power_dbm(0.0)
    rf.set_output(True)
    freqs = line_hz + np.arange(-2.0e6, 2.01e6, 0.25e6)
    signal = []
    for f in freqs:
        rf.set_frequency_hz(f)
        signal.append(_signal(cam.snap(), vm))
    assert freqs[int(np.argmin(signal))] == pytest.approx(line_hz, abs=0.25e6)
    assert min(signal) < 0.99 * max(signal)


def test_sequence_through_pylablib_calls(chain):
    _, _, shutter, cam = chain
    shutter.open_shutter()
    cam.setup_acquisition(mode="sequence", nframes=10)
    cam.start_acquisition()
    assert cam.acquisition_in_progress()
    assert cam.wait_for_frame(since="start", nframes=6, timeout=5.0)
    frames, infos = cam.read_multiple_images(return_info=True)
    cam.stop_acquisition()
    assert len(frames) >= 6 and frames[0].shape == (64, 64) and frames[0].dtype == np.uint16
    assert [i.frame_index for i in infos] == list(range(len(frames)))
    assert [i.framestamp for i in infos] == list(range(len(frames)))
    status = cam.get_frames_status()
    assert status.buffer_size == 10 and status.unread == status.acquired - len(frames)
    assert len(cam.grab(3)) == 3


def test_software_trigger_and_skipped_frame_accounting(chain):
    _, _, _, cam = chain
    cam.set_trigger_mode("e_soft_edge")
    cam.setup_acquisition(mode="sequence", nframes=4)
    cam.start_acquisition()
    with pytest.raises(FrameTimeoutError, match="no new frame within 0.1 s"):
        cam.wait_for_frame(timeout=0.1)  # no trigger, no frame
    for _ in range(12):
        assert cam.send_software_trigger()
    cam.wait_for_frame(since="start", nframes=12, timeout=5.0)
    assert tuple(cam.get_frames_status()) == (12, 4, 8, 4)  # pylablib's accounting: 8 overwritten unread
    _, infos = cam.read_multiple_images(return_info=True)
    assert [i.frame_index for i in infos] == [8, 9, 10, 11]
    cam.stop_acquisition()


def test_rf_gating_alternates_on_and_off_frames(chain):
    vm, rf, shutter, cam = chain
    line_hz = _line_hz(vm)
    rf.set_frequency_hz(line_hz)
    rf.set_power_dbm(0.0)
    rf.set_output(True)
    shutter.open_shutter()
    assert cam.set_rf_gating(True)
    frames = cam.grab(6)
    cam.set_rf_gating(False)
    signal = np.array([_signal(f, vm) for f in frames])
    on, off = signal[0::2], signal[1::2]
    assert np.all(on / off.mean() < 0.99) and np.all(np.abs(off / off.mean() - 1) < 3e-3)


def test_state_is_sampled_when_the_exposure_starts():
    vm = VirtualMicroscope(VirtualSample(n_rows=64, n_cols=64), seed=5)
    with vm.state.lock:
        vm.state.shutter_open = True
    cam = MockCamera(vm, exposure_s=EXPOSURE_S, readout_s=0.3)
    cam.start_acquisition(mode="sequence", nframes=4)
    time.sleep(0.1)  # frame 0 is exposed (t = 0) and in readout until t = 0.3 s
    with vm.state.lock:
        vm.state.shutter_open = False  # before frame 0 is delivered
    cam.wait_for_frame(since="start", nframes=2, timeout=2.0)
    first, second = cam.read_multiple_images()[:2]
    cam.close()
    assert _signal(first, vm) > 1e4 and abs(_signal(second, vm)) < 2.0


def test_frames_come_one_readout_time_apart_when_the_readout_is_longer_than_the_exposure():
    """config camera.readout_s gives the mock a real camera's frame rate: period = max(exposure, readout)."""
    vm = VirtualMicroscope(VirtualSample(n_rows=32, n_cols=32), seed=5)
    cam = MockCamera(vm, exposure_s=EXPOSURE_S, readout_s=0.02)
    try:
        assert tuple(cam.get_frame_timings()) == (EXPOSURE_S, 0.02)
        cam.setup_acquisition(mode="sequence", nframes=8)
        t0 = time.perf_counter()
        cam.start_acquisition()
        cam.wait_for_frame(since="start", nframes=8, timeout=5.0)
        elapsed_s = time.perf_counter() - t0
        _, infos = cam.read_multiple_images(return_info=True)
    finally:
        cam.close()
    # frame k is delivered one period after its exposure started, k periods after the first: never sooner
    assert elapsed_s >= 8 * 0.02
    # exposure starts are stamped after the sensor thread wakes; a late wake-up (a loaded machine) moves one stamp
    # by a few ms at most, so the typical gap is the period, bounded loosely from above
    gaps_s = np.diff([info.timestamp_start_ns for info in infos]) * 1e-9
    assert 0.019 < np.median(gaps_s) < 0.03


def test_roi_binning_exposure_and_em_gain(chain):
    vm, _, shutter, cam = chain
    shutter.open_shutter()
    assert cam.get_detector_size() == (64, 64)
    assert cam.set_roi(8, 40, 16, 48, 2, 2) == (8, 40, 16, 48, 2, 2)
    assert cam.get_data_dimensions() == (16, 16)
    cam.set_exposure(2e-4)  # a 2 x 2 sum of 1 ms pixels would saturate at 65535 ADU
    binned = cam.snap()
    expected_adu = vm.expected_electrons(2.87e9, False, 0.0, True, 2e-4)[16:48, 8:40] * \
        vm.camera.em_gain / vm.camera.electrons_per_adu
    expected_binned = expected_adu.reshape(16, 2, 16, 2).sum(axis=(1, 3)) + 4 * vm.camera.bias_adu
    assert binned.shape == (16, 16)
    assert binned.mean() == pytest.approx(expected_binned.mean(), rel=2e-3)  # 1024 pixels of ~2.4e4 e: noise ~2e-4
    cam.set_roi()
    assert cam.get_data_dimensions() == (64, 64)
    assert cam.set_exposure(1e-4) == 1e-4 and tuple(cam.get_frame_timings()) == (1e-4, 1e-4)
    low = _signal(cam.snap(), vm)  # ~1.2e4 e: 3000 ADU at gain 10, 15000 at gain 50
    assert cam.set_em_gain(50.0) == 50.0 and vm.camera.em_gain == 50.0
    assert _signal(cam.snap(), vm) / low == pytest.approx(5.0, rel=0.01)


def test_injected_camera_faults_are_typed_errors():
    vm = VirtualMicroscope(VirtualSample(n_rows=32, n_cols=32), seed=1)
    cam = MockCamera(vm, faults=CameraFaults(drop_frame_every_n=3))
    cam.start_acquisition(mode="sequence", nframes=20)
    cam.wait_for_frame(since="start", nframes=4, timeout=5.0)
    with pytest.raises(DroppedFrameError, match="lost exposures"):
        cam.read_multiple_images()
    cam.stop_acquisition()

    cam.arm_faults(CameraFaults(late_frame_every_n=2, late_frame_s=1.0))
    cam.start_acquisition(mode="sequence", nframes=20)
    cam.wait_for_frame(since="start", nframes=1, timeout=5.0)
    start = time.monotonic()
    with pytest.raises(FrameTimeoutError):
        cam.wait_for_frame(since="start", nframes=2, timeout=0.2)
    assert time.monotonic() - start < 0.6
    cam.stop_acquisition()

    cam.arm_faults(CameraFaults(disconnect_after_n_frames=5))  # counted over acquisitions: 3 + 2
    cam.start_acquisition(mode="snap", nframes=3)
    cam.wait_for_frame(since="start", nframes=3, timeout=5.0)
    assert len(cam.read_multiple_images()) == 3
    cam.start_acquisition(mode="sequence", nframes=20)
    read = 0
    with pytest.raises(InstrumentDisconnectedError, match="camera_disconnect_after_n_frames"):
        for _ in range(10):
            cam.wait_for_frame(timeout=1.0)
            read += len(cam.read_multiple_images())
    assert read <= 2  # the second acquisition delivers only the 2 frames left of the 5
    cam.close()


def test_framestamp_gaps():
    assert framestamp_gaps(range(3), [0, 1, 2], (-1, -1)) == []
    assert framestamp_gaps(range(3), [1, 2, 3], (-1, -1)) == [(0, 1)]
    assert framestamp_gaps(range(5, 8), [7, 8, 10], (4, 6)) == [(7, 1)]


def test_pvcam_imports_without_the_library_and_says_what_is_missing():
    with pytest.raises(DriverUnavailableError, match="PVCAM library is missing"):
        open_pvcam_camera()


def test_camera_close_leaves_no_threads():
    before = threading.active_count()
    vm = VirtualMicroscope(VirtualSample(n_rows=32, n_cols=32), seed=1)
    with MockCamera(vm) as cam:
        cam.start_acquisition()
        cam.wait_for_frame(timeout=2.0)
    assert threading.active_count() == before
