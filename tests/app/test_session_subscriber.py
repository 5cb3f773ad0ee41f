"""The session writer as a subscriber to the sweep engine's events: each step is flushed before the engine goes
on and before later subscribers hear of it; a writer error fails the sweep safely with its type; an abort or
Ctrl-C marks the file aborted with every completed step kept; the file process writes the same file."""

import numpy as np
import pytest

from analysis.session import SessionWriteError, SessionWriter, read_session
from app.core.acquisition_controller import AcquisitionController
from app.core.file_process import FileProcess
from app.core.session_files import H5Sessions
from app.core.session_subscriber import SessionSubscriber
from instruments.sweep import StepDone, SweepEngine, SweepFailed, SweepFinished, SweepPlan, SweepStarted
from tests.gui_helpers import small_microscope
from tests.sweep_fakes import FakeCamera, FakeRF, FakeShutter

PAIRS = 2


def _plan(**kw):
    return SweepPlan.from_range(2025e6, 2033e6, 9, pairs_per_step=PAIRS, **kw)


def _opener(path, plan, writer_class=SessionWriter):
    def open_writer(shape, dark):
        return writer_class.create(path, frame_shape=shape, freq_hz=plan.frequencies_hz, plan=plan.to_dict(),
                                   instrument_settings={}, sample_metadata={}, dark_frame_adu=dark)
    return open_writer


def _engine(vm, plan, listeners, camera=None):
    return SweepEngine(plan, camera or FakeCamera(vm), FakeRF(vm), FakeShutter(vm), listeners=listeners)


def test_every_step_is_in_the_file_before_the_next_subscriber_hears_of_it(tmp_path):
    vm, plan = small_microscope(), _plan(n_sweeps=2)
    writer = SessionSubscriber(_opener(tmp_path / "s.h5", plan))
    in_file, events = [], []

    def after_the_writer(event):
        events.append(type(event).__name__)
        if isinstance(event, StepDone):  # the file's own mask of written steps and its pair count
            in_file.append((int(writer.writer.step_done().sum()), int(writer.writer._counters["n_pairs"].sum())))

    engine = _engine(vm, plan, [writer, after_the_writer])
    assert engine.run() == "finished"
    n = plan.n_steps
    # first sweep: k steps hold data after the k-th event; second sweep: all steps, and the pairs grow by PAIRS
    assert in_file == [(min(k, n), PAIRS * k) for k in range(1, 2 * n + 1)]
    assert events[0] == "SweepStarted" and events[-1] == "SweepFinished"
    session = read_session(tmp_path / "s.h5")
    assert session.status == "finished" and session.status_reason == ""
    np.testing.assert_array_equal(session.on_sum, engine.on_sums)
    np.testing.assert_array_equal(session.off_sum, engine.off_sums)
    np.testing.assert_array_equal(session.dark_frame_adu, engine.dark_frame)
    assert engine.timing.report()["writing_s"] > 0  # the subscriber's time is booked as writing


class _FailingWriter(SessionWriter):
    fail_at_call = 4

    def write_step(self, *args):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == self.fail_at_call:
            raise SessionWriteError("injected: the disk is full")
        return super().write_step(*args)


def test_a_writer_error_stops_the_sweep_safely_keeping_the_written_steps(tmp_path):
    vm, plan = small_microscope(), _plan()
    camera, events = FakeCamera(vm), []
    engine = _engine(vm, plan, [SessionSubscriber(_opener(tmp_path / "s.h5", plan, _FailingWriter)),
                                events.append], camera)
    assert engine.run() == "failed"
    assert not vm.state.rf_on and not vm.state.shutter_open
    failed = events[-1]
    assert isinstance(failed, SweepFailed) and isinstance(failed.error, SessionWriteError)
    assert failed.reason == "SessionWriteError: injected: the disk is full"
    # the engine did not move on: the 4th step's frames were the last taken (8 dark frames + 2 per pair)
    assert camera.frames == 8 + 2 * PAIRS * _FailingWriter.fail_at_call
    # the later subscriber heard of the three written steps, never of the fourth
    assert [e.steps_done for e in events if isinstance(e, StepDone)] == [1, 2, 3]
    session = read_session(tmp_path / "s.h5")
    assert session.status == "failed" and session.status_reason == failed.reason
    assert session.n_steps_completed == 3 and session.step_done.tolist() == [True] * 3 + [False] * 6


class _FinishFails(SessionWriter):
    def finish(self, status="finished", reason=""):
        if status == "finished":
            raise SessionWriteError("injected: the status cannot be recorded")
        return super().finish(status, reason)


def test_a_file_that_cannot_record_its_end_fails_the_sweep_with_the_writers_error(tmp_path):
    vm, plan = small_microscope(), _plan()
    events = []
    engine = _engine(vm, plan, [SessionSubscriber(_opener(tmp_path / "s.h5", plan, _FinishFails)), events.append])
    assert engine.run() == "failed"
    assert not vm.state.rf_on and not vm.state.shutter_open
    assert not any(isinstance(e, SweepFinished) for e in events)  # the views hear one end: the failure
    assert isinstance(events[-1], SweepFailed) and isinstance(events[-1].error, SessionWriteError)
    session = read_session(tmp_path / "s.h5")
    assert session.status == "failed" and "injected" in session.status_reason
    assert session.n_steps_completed == plan.n_steps


class _Interrupt:
    """A subscriber that raises ``exc`` at the given step: Ctrl-C (or a termination signal) in the engine's thread."""

    def __init__(self, at_step, exc):
        self.at_step, self.exc, self.heard = at_step, exc, []

    def __call__(self, event):
        self.heard.append(event)
        if isinstance(event, StepDone) and event.steps_done == self.at_step:
            raise self.exc


def test_ctrl_c_marks_the_file_aborted_with_every_completed_step(tmp_path):
    vm, plan = small_microscope(), _plan()
    interrupt = _Interrupt(5, KeyboardInterrupt("SIGTERM"))
    engine = _engine(vm, plan, [SessionSubscriber(_opener(tmp_path / "s.h5", plan)), interrupt])
    with pytest.raises(KeyboardInterrupt):
        engine.run()
    assert not vm.state.rf_on and not vm.state.shutter_open and engine.status == "aborted"
    stop = interrupt.heard[-1]  # every subscriber hears the stop, with the interruption as its reason
    assert isinstance(stop, SweepFinished) and stop.status == "aborted" and stop.reason == "KeyboardInterrupt: SIGTERM"
    session = read_session(tmp_path / "s.h5")
    assert session.status == "aborted" and session.status_reason == "KeyboardInterrupt: SIGTERM"
    assert session.n_steps_completed == 5  # the 5th step was written before the interruption reached the engine
    np.testing.assert_array_equal(session.on_sum[:5], engine.on_sums[:5])


def test_abort_marks_the_file_aborted_and_a_file_never_made_is_not_touched(tmp_path):
    vm, plan = small_microscope(), _plan()
    engine = _engine(vm, plan, [])
    engine.add_listener(SessionSubscriber(_opener(tmp_path / "s.h5", plan)))
    engine.add_listener(lambda e: engine.abort() if isinstance(e, StepDone) and e.steps_done == 2 else None)
    assert engine.run() == "aborted"
    session = read_session(tmp_path / "s.h5")
    assert session.status == "aborted" and session.status_reason == "" and session.n_steps_completed == 2
    # a stop with a reason (the command line's, on a termination signal) records it
    engine = _engine(vm, plan, [SessionSubscriber(_opener(tmp_path / "r.h5", plan))])
    engine.add_listener(lambda e: engine.abort("SIGTERM") if isinstance(e, StepDone) and e.steps_done == 3 else None)
    assert engine.run() == "aborted"
    session = read_session(tmp_path / "r.h5")
    assert session.status_reason == "SIGTERM" and session.n_steps_completed == 3
    # a sweep that fails before SweepStarted (alternating on a camera without RF gating) creates no file
    camera = FakeCamera(vm)
    camera.supports_rf_gating = False
    events = []
    engine = _engine(vm, _plan(scheme="alternating"), [SessionSubscriber(_opener(tmp_path / "t.h5", plan)),
                                                       events.append], camera)
    assert engine.run() == "failed" and not (tmp_path / "t.h5").exists()
    assert [type(e) for e in events] == [SweepFailed] and "alternating" in events[0].reason


def test_a_file_that_cannot_be_created_stops_the_sweep_before_the_rf_goes_on(tmp_path):
    vm, plan = small_microscope(), _plan()
    (tmp_path / "s.h5").write_bytes(b"an earlier session")
    events, rf = [], FakeRF(vm)
    engine = SweepEngine(plan, FakeCamera(vm), rf, FakeShutter(vm),
                         listeners=[SessionSubscriber(_opener(tmp_path / "s.h5", plan)), events.append])
    assert engine.run() == "failed"
    assert type(events[-1].error).__name__ == "SessionExistsError"
    assert not any(isinstance(e, SweepStarted) for e in events)  # the writer is first: the others never heard
    assert rf.log == [] and not vm.state.shutter_open  # no RF setting was ever sent
    assert (tmp_path / "s.h5").read_bytes() == b"an earlier session"


def test_the_file_process_writes_the_same_file_through_the_controller(tmp_path):
    vm, plan = small_microscope(), _plan()
    files = FileProcess().start()
    try:
        sessions = H5Sessions(files)
        factory = sessions.session_factory(tmp_path / "s.h5", plan, freq_windows_hz=[plan.frequencies_hz],
                                           instrument_settings={}, sample_metadata={})
        controller = AcquisitionController(fit_interval_s=1e9)
        controller.start(plan, FakeCamera(vm), FakeRF(vm), FakeShutter(vm), session_factory=factory)
        assert controller.wait(60) == "finished"
        engine = controller.engine
        controller.close()
    finally:
        files.close()
    session = read_session(tmp_path / "s.h5")
    assert session.status == "finished" and session.n_steps_completed == plan.n_steps
    np.testing.assert_array_equal(session.on_sum, engine.on_sums)
    np.testing.assert_array_equal(session.off_sum, engine.off_sums)
