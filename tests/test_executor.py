"""The executor: forked workers give the same, ordered results as a plain loop; agent replay signals."""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope.analysis.replay import agent_signals, replay_extra
from rotascope.executor import parallel_map
from rotascope.monitor.run import Monitor


def test_parallel_map_matches_a_loop_and_keeps_order() -> None:
    data = np.arange(500.0)
    items = list(range(500))
    got = parallel_map(lambda i: float(data[i] ** 2), items, workers=2, min_items=10)
    assert got == [float(i * i) for i in items]
    assert parallel_map(lambda i: i + 1, [1, 2], workers=2) == [2, 3]  # small jobs run inline


def test_replay_extra_serves_the_same_signals_as_a_direct_run(monitor: Monitor) -> None:
    extra = replay_extra(monitor)
    late = [date(2026, 5, 29), date(2026, 6, 26)]
    for day in late:
        direct = agent_signals(monitor, day)
        assert extra(monitor.at(day)) == direct
        assert set(direct) >= {"agent_internals", "agent_macro", "decision_tilt", "decision_conviction"}


def test_no_fork_while_other_threads_run() -> None:
    """A threaded process (the web server) maps in-process: forking it could hang a worker on a lock."""
    import os
    import threading

    from rotascope.executor import parallel_map

    parent = os.getpid()
    gate = threading.Event()
    worker = threading.Thread(target=gate.wait)
    worker.start()
    try:
        pids = parallel_map(lambda _: os.getpid(), list(range(100)), workers=2)
    finally:
        gate.set()
        worker.join()
    assert set(pids) == {parent}
    if threading.active_count() == 1:  # back to one thread: the workers are forked again
        assert set(parallel_map(lambda _: os.getpid(), list(range(100)), workers=2)) != {parent}
