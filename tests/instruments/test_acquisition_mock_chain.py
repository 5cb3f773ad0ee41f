"""The sweep engine on the real mock chain: mock SCPI server through pyvisa, mock pylablib camera, mock shutter."""

import numpy as np
import pytest

from analysis import physics
from analysis.session import SessionWriter, read_session
from app.core.session_subscriber import SessionSubscriber
from instruments.config import config_from_dict
from instruments.factory import open_instruments
from instruments.faults import RfFaults
from instruments.sweep import StepDone, SweepEngine, SweepFailed, SweepPlan


def _config(**faults):
    return config_from_dict({"microscope": {"n_cells": 0, "n_rows": 32, "n_cols": 32, "seed": 2},
                             "faults": faults, "rf": {"timeout_s": 0.3}, "camera": {"timeout_s": 0.5}})


def _plan(inst, **kw):
    vm = inst.microscope
    f_minus, _ = physics.transitions_hz(float(np.median(vm.b_nv_map_t)), vm.d_hz)
    return SweepPlan.from_range(f_minus - 4e6, f_minus + 4e6, 33, pairs_per_step=kw.pop("pairs", 3), **kw)


def _factory(path, plan):
    def make(shape, dark):
        return SessionWriter.create(path, frame_shape=shape, freq_hz=plan.frequencies_hz, plan=plan.to_dict(),
                                    instrument_settings={}, sample_metadata={"name": "mock"}, dark_frame_adu=dark)
    return make


@pytest.mark.parametrize("scheme", ["software", "alternating"])
def test_mock_chain_sweep_shows_the_hyperfine_doublet(scheme, tmp_path):
    with open_instruments(_config()) as inst:
        plan = _plan(inst, scheme=scheme)
        plan.check_limits(inst.rf.limits.min_frequency_hz, inst.rf.limits.max_frequency_hz,
                          inst.rf.limits.max_power_dbm)
        engine = SweepEngine(plan, inst.camera, inst.rf, inst.shutter,
                             listeners=[SessionSubscriber(_factory(tmp_path / "s.h5", plan))],
                             frame_timeout_s=inst.frame_timeout_s)
        assert engine.run() == "finished"
        assert not inst.rf.output_on() and not inst.shutter.is_open()
    session = read_session(tmp_path / "s.h5")
    spectrum = np.nanmedian(session.spin_contrast(), axis=(1, 2))
    f = session.freq_hz
    deepest = np.sort(f[np.argsort(spectrum)[:2]])
    f_minus, _ = physics.transitions_hz(float(np.median(inst.microscope.b_nv_map_t)), inst.microscope.d_hz)
    assert deepest == pytest.approx([f_minus - 1.515e6, f_minus + 1.515e6], abs=0.26e6)  # 0.25 MHz steps
    assert 1 - spectrum.min() > 0.01


def test_rf_disconnect_mid_sweep_fails_cleanly_and_keeps_completed_steps(tmp_path):
    events = []
    with open_instruments(_config(rf_disconnect_after_n_commands=60)) as inst:
        plan = _plan(inst)
        engine = SweepEngine(plan, inst.camera, inst.rf, inst.shutter,
                             listeners=[SessionSubscriber(_factory(tmp_path / "s.h5", plan)), events.append],
                             frame_timeout_s=inst.frame_timeout_s)
        assert engine.run() == "failed"
        assert isinstance(events[-1], SweepFailed)
        assert "Disconnected" in events[-1].reason or "Timeout" in events[-1].reason
        assert not inst.microscope.state.rf_on and not inst.microscope.state.shutter_open
    session = read_session(tmp_path / "s.h5")
    assert session.status == "failed"
    done = session.step_done
    assert 0 < done.sum() < plan.n_steps
    np.testing.assert_array_equal(session.on_sum[done], engine.on_sums[done])


def test_dropped_frame_mid_sweep_is_a_typed_failure(tmp_path):
    events = []
    with open_instruments(_config(camera_drop_frame_every_n=5)) as inst:
        plan = _plan(inst, scheme="alternating", pairs=4)
        engine = SweepEngine(plan, inst.camera, inst.rf, inst.shutter, listeners=[events.append],
                             frame_timeout_s=inst.frame_timeout_s)
        assert engine.run() == "failed"
        assert "DroppedFrame" in events[-1].reason or "frames" in events[-1].reason
        assert not inst.microscope.state.rf_on and not inst.microscope.state.shutter_open


def test_connection_lost_with_the_rf_on_the_sweep_reconnects_to_switch_it_off():
    events = []

    def drop_during_the_next_step(event):
        # next step: SOUR:FREQ;:SYST:ERR? (commands 1-2), OUTP 1;:SYST:ERR? (3-4, executed: the RF is on),
        # then the connection drops at OUTP 0;:SYST:ERR? (5), which is never executed
        if isinstance(event, StepDone) and event.step_index == 1:
            inst.rf_server.arm_faults(RfFaults(disconnect_after_n_commands=5))
        events.append(event)

    with open_instruments(_config()) as inst:
        engine = SweepEngine(_plan(inst), inst.camera, inst.rf, inst.shutter,
                             listeners=[drop_during_the_next_step], frame_timeout_s=inst.frame_timeout_s)
        assert engine.run() == "failed"
        assert "Disconnected" in events[-1].reason and engine.n_pairs[2] == 0
        # set_output(False) could not be sent; ensure_output_off reconnected and switched the output off
        assert not inst.microscope.state.rf_on and not inst.microscope.state.shutter_open
        assert inst.rf.output_on() is False
