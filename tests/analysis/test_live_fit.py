import threading
import time

from analysis.live_fit import LiveFitter


def test_newest_job_wins_and_requests_never_block():
    release = threading.Event()
    seen = []

    def slow_fit(x):
        release.wait(5)
        seen.append(x)
        return x * 10

    fitter = LiveFitter(slow_fit)
    t0 = time.perf_counter()
    for k in range(50):
        fitter.request(k)
        if k == 0:
            time.sleep(0.05)  # let the worker pick up job 0 and block in it
    assert time.perf_counter() - t0 < 0.5  # requesting never waited for the fit
    release.set()
    assert fitter.wait_idle(5)
    assert seen == [0, 49]  # job 0 was running; 1..48 were replaced by newer ones
    assert fitter.latest() == (2, 490) and fitter.jobs_dropped == 48
    fitter.close()


def test_callable_arguments_are_evaluated_in_the_worker_and_errors_are_kept():
    threads = []

    def fit(x):
        if x < 0:
            raise ValueError("bad cube")
        return x

    fitter = LiveFitter(fit)
    fitter.request(lambda: threads.append(threading.current_thread().name) or 3)
    assert fitter.wait_idle(5) and fitter.latest()[1] == 3
    assert threads == ["nvscope-live-fit"]
    fitter.request(-1)
    assert fitter.wait_idle(5)
    assert isinstance(fitter.last_error, ValueError) and fitter.latest()[1] == 3
    fitter.close()
