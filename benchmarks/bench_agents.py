"""Agent benchmarks: one universe analysis and one single-stock debate (warm), the whole weekly replay with
the agents and the walk-forward calibration as one process, and every Russell 2000 member debated at once.

Targets (issues 4 and 15): universe analysis < 1 s, single-stock debate < 0.5 s (warm); replay with all
agents + walk-forward calibration < 6 s for the whole process on 2 cores; every member at one as-of < 5 s.
The per-week agent path (the one the replay used before it was vectorised) is timed in the same run as a
reference, since the machine's load moves every figure.

Run alone: ``python benchmarks/bench_agents.py HOME``; ``--replay-calibration HOME`` is the timed process.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from common import monitor_of, wall

from rotascope.agents import universe_analysis
from rotascope.agents.stock import stock_analysis
from rotascope.analysis.replay import agent_signals, replay_extra
from rotascope.analysis.service import Analyst
from rotascope.backtest.replay import replay
from rotascope.config import load_settings
from rotascope.executor import parallel_map
from rotascope.monitor.data import align
from rotascope.monitor.run import Monitor, MonitorResult, build_monitor
from rotascope.store.db import open_store

DAY = date(2024, 7, 19)


def replay_and_calibrate(home: str) -> None:
    """The timed process: build the monitor, replay every week with all agents, calibrate walk-forward."""
    from rotascope.calibration.service import calibrate

    monitor = monitor_of(home)
    with tempfile.TemporaryDirectory() as cache:  # no feature cache: the replay runs
        cal = calibrate(monitor, replay_extra, Path(cache))
    print(f"{len(cal.table.asof)} weeks, horizons {sorted(cal.runs)}")


def _per_week_extra(monitor: Monitor) -> object:
    """The replay's former agent path: every week's full analysis, in forked workers."""
    cache: dict[date, dict[str, float]] = {}

    def extra(result: MonitorResult) -> dict[str, float]:
        if not cache:
            from rotascope.backtest.replay import replay_dates

            days = [d.astype(date) for d in replay_dates(monitor)]
            cache.update(zip(days, parallel_map(lambda d: agent_signals(monitor, d), days), strict=True))
        return cache[result.as_of]

    return extra


def run(home: str) -> list[tuple[str, list[float], str]]:
    settings = load_settings({"home": home})
    store = open_store(settings)
    monitor = build_monitor(store, settings)
    close = align(store.close_panel(["KRT"]), monitor.panel.calendar).column("KRT")
    universe, stock, members = [], [], []
    for _ in range(5):
        start = time.perf_counter()
        universe_analysis(monitor, monitor.at(DAY), "bench")
        universe.append(time.perf_counter() - start)
        start = time.perf_counter()
        stock_analysis(monitor, "KRT", close, "Industrials", monitor.at(DAY), "bench")
        stock.append(time.perf_counter() - start)
    analyst = Analyst(store, settings, monitor)
    session = analyst.session(None)
    for _ in range(3):
        start = time.perf_counter()
        ranked = analyst.members(session)
        members.append(time.perf_counter() - start)
    store.close()
    start = time.perf_counter()
    vectorised = replay(monitor, extra=replay_extra(monitor))
    fast = time.perf_counter() - start
    start = time.perf_counter()
    replay(monitor, extra=_per_week_extra(monitor))  # type: ignore[arg-type]
    slow = time.perf_counter() - start
    env = {**os.environ, "ROTASCOPE_HOME": home}
    whole = [sys.executable, __file__, "--replay-calibration", home]
    process = [wall(whole, env) for _ in range(3)]
    python = [wall([sys.executable, "-c", "import numpy, pandas, sklearn, rotascope.cli"], env)]
    cli = [sys.executable, "-m", "rotascope", "debate", "--all", "-f", "json"]
    every = [wall(cli, env) for _ in range(3)]
    weeks = len(vectorised.signals)
    return [
        ("universe analysis: agents + debate + decision (warm)", universe, "target < 1 s"),
        ("single-stock debate KRT (warm)", stock, "target < 0.5 s"),
        (
            f"weekly replay with all agents, vectorised ({weeks:,} weeks, in process)",
            [fast],
            f"monitor prebuilt; regime + agents + debate + decision; per-week agent path {slow:.1f} s "
            f"in this run ({slow / fast:.1f}x)",
        ),
        (
            "replay with agents + walk-forward calibration (whole process)",
            process,
            f"target < 6 s on 2 cores; imports alone {python[0]:.2f} s in this run",
        ),
        (
            f"every R2000 member debated at the latest as-of ({len(ranked.calls):,} names, warm)",
            members,
            "vectorised across members; target < 5 s",
        ),
        ("rotascope debate --all -f json (whole process)", every, "process start + monitor build included"),
    ]


if __name__ == "__main__":
    if sys.argv[1] == "--replay-calibration":
        replay_and_calibrate(sys.argv[2])
    else:
        for name, times, note in run(sys.argv[1]):
            print(f"{name}: median {statistics.median(times):.3f} s (n={len(times)}) {note}")
