"""Steal time beside the GUI benchmark's stalls (benchmarks/machine.py): on a virtual machine a stall with no work
behind it is often the hypervisor running something else on the machine's CPUs, counted late by the guest."""

import os

import pytest

from benchmarks.machine import describe_steal, steal_around, steal_s


def test_steal_is_read_from_the_eighth_value_of_the_cpu_line(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  1262966 47372 71444 7931440 2727 0 2129 627 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    assert steal_s(stat) == pytest.approx(627 / os.sysconf("SC_CLK_TCK"))


@pytest.mark.parametrize("text", ["", "cpu  1 2 3\n", "cpu  1 2 3 4 5 6 7 x 0 0\n"])
def test_a_system_without_steal_time_gives_none_and_no_line(tmp_path, text):
    stat = tmp_path / "stat"
    stat.write_text(text)
    assert steal_s(stat) is None
    assert steal_s(tmp_path / "missing") is None
    assert describe_steal(None, 1.0) == ""


def test_describe_steal_in_ms():
    assert describe_steal(1.0, 1.23).startswith("steal time over the run 230 ms")


def test_steal_counted_after_a_stall_is_given_to_it_within_the_window():
    # ticks every 5 ms, a 150 ms gap ending at tick 10 (t = 0.195 s); the guest counts its 140 ms of steal
    # 50 ms later (tick 20), and 30 ms more 0.5 s later, outside the 0.1 s window
    at = [0.005 * (k + 1) for k in range(10)] + [0.195 + 0.005 * k for k in range(200)]
    steals = [0.0] * (len(at) + 1)
    for k in range(len(at)):
        steals[k + 1] = steals[k] + (0.14 if k == 20 else 0.03 if k == 110 else 0.0)
    assert steal_around(steals, at, 10, 0.1) == pytest.approx(0.14)
    assert steal_around(steals, at, 10, 0.01) == pytest.approx(0.0)  # before it was counted
    assert steal_around(steals, at, 5, 0.1) == pytest.approx(0.0)  # an earlier gap
    assert steal_around(steals, at, len(at) - 1, 0.1) == pytest.approx(0.0)  # the last gap: window cut at the end
    assert steal_around([None] * (len(at) + 1), at, 10, 0.1) is None
