"""``njit_on_first_call`` when several threads make the first call at once (an adaptive run plans its second
pass with the ODMR fit while the live fit's thread calls it too): every call returns the right value."""

import threading

import numpy as np
from numba import types

from analysis.fitting.first_call import njit_on_first_call


def test_first_calls_from_many_threads_at_once_all_succeed():
    @njit_on_first_call(types.float64(types.float64[::1]), nogil=True)  # no cache: every run compiles
    def total(a):
        s = 0.0
        for v in a:
            s += v
        return s

    data = np.arange(10.0)
    start = threading.Barrier(8)
    results, errors = [], []

    def call():
        start.wait()
        try:
            results.append(total(data))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and results == [45.0] * 8
    assert len(total.signatures) == 1  # still exactly the one signature
