"""StaggeredCalls: queued updates run one per call of ``run_one``, oldest first; a key queued again is replaced."""

from app.core.staggered_calls import StaggeredCalls


def test_one_call_per_tick_in_order_and_a_requeued_key_replaces_the_old_call():
    done = []
    calls = StaggeredCalls()
    calls.add("a", lambda: done.append("a1"))
    calls.add("b", lambda: done.append("b"))
    calls.add("a", lambda: done.append("a2"))  # replaces a1, keeps a's place (first)
    assert calls.pending == 2
    assert calls.run_one() and done == ["a2"]
    assert calls.run_one() and done == ["a2", "b"]
    assert not calls.run_one() and done == ["a2", "b"]


def test_flush_runs_everything_queued_including_calls_queued_meanwhile():
    done = []
    calls = StaggeredCalls()
    calls.add("x", lambda: (done.append("x"), calls.add("y", lambda: done.append("y"))))
    calls.flush()
    assert done == ["x", "y"] and calls.pending == 0
