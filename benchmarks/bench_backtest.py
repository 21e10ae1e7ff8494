"""Backtest benchmarks: the whole weekly replay (monitor + regime + a dummy extra callable) since 2000,
against one single-date run (build the monitor from the store + one snapshot), the unit it replaces.

Called by benchmarks/run.py with a home that already holds the initialised store. Target: the full
replay under 20 s on 2 cores.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from datetime import date

from rotascope.backtest.replay import replay, replay_dates
from rotascope.backtest.strategies import run_strategies
from rotascope.config import load_settings
from rotascope.monitor.run import Monitor, MonitorResult, build_monitor
from rotascope.store.db import open_store


def _dummy(result: MonitorResult) -> Mapping[str, float]:
    """Stands in for the agents: reads the snapshot like they will, returns a score."""
    rel = result.snapshot.pair("IWM/SPY").returns.get("1m") or 0.0
    return {"dummy": max(-1.0, min(1.0, 10 * rel))}


def run(home: str) -> list[tuple[str, list[float], str]]:
    settings = load_settings({"home": home})

    def single() -> Monitor:
        store = open_store(settings)
        try:
            monitor = build_monitor(store, settings)
        finally:
            store.close()
        monitor.at(date(2024, 7, 19))
        return monitor

    monitor = single()  # warm-up (imports, panel cache)
    one = [_time(single) for _ in range(2)]
    days = replay_dates(monitor)
    full = [_time(lambda: replay(monitor, days, _dummy)) for _ in range(2)]
    strategies = [_time(lambda: run_strategies(monitor.panel, days, 5.0)) for _ in range(3)]
    ratio = statistics.median(full) / statistics.median(one)
    return [
        ("one monitor run (build + 1 snapshot)", one, "store read + full indicator panel + 1 as-of"),
        (
            f"weekly replay, {len(days):,} as-of dates",
            full,
            f"monitor + regime + dummy extra; {ratio:.1f}x one run; target < 20 s",
        ),
        ("strategies + benchmarks (5 runs)", strategies, "weekly fills, daily equity"),
    ]


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1]):
        print(row[0], f"{statistics.median(row[1]):.3f}s", row[2])
