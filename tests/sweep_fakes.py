"""Minimal in-process instruments on the virtual microscope, for engine tests that need no sockets."""



class FakeRF:
    def __init__(self, vm, fail_after_sets=None):
        self.vm, self.log, self.fail_after_sets = vm, [], fail_after_sets

    def _set(self, **kw):
        if self.fail_after_sets is not None and len(self.log) >= self.fail_after_sets:
            raise TimeoutError("injected RF timeout")
        self.log.append(kw)
        with self.vm.state.lock:
            for k, v in kw.items():
                setattr(self.vm.state, k, v)

    def set_frequency_hz(self, f):
        self._set(rf_frequency_hz=f)

    def set_power_dbm(self, p):
        self._set(rf_power_dbm=p)

    def set_output(self, on):
        with self.vm.state.lock:  # turning off must always work (safety)
            self.vm.state.rf_on = bool(on)
        if on:
            self._set(rf_on=True)

    def ensure_output_off(self):
        self.set_output(False)


class FakeShutter:
    def __init__(self, vm):
        self.vm = vm

    def set_open(self, is_open):
        with self.vm.state.lock:
            self.vm.state.shutter_open = bool(is_open)


class FakeCamera:
    def __init__(self, vm):
        self.vm, self.exposure_s, self.alternate, self.frames = vm, 1e-3, False, 0

    def set_exposure(self, s):
        self.exposure_s = s

    supports_rf_gating = True

    def set_rf_gating(self, on):
        self.alternate = on

    def grab(self, n, frame_timeout=None):
        out = []
        for _ in range(n):
            freq, power, rf_on, shutter = self.vm.state.snapshot()
            if self.alternate and self.frames % 2 == 1:
                rf_on = False
            out.append(self.vm.render_frame(freq, rf_on, power, shutter, self.exposure_s))
            self.frames += 1
        return out
