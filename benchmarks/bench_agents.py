"""Agent benchmarks: the full universe analysis (4 agents + debate + decision) and a single-stock debate.

Warm = the monitor panel is already computed (it is shared by every analysis of a session); targets from
issue 4: universe analysis < 1 s, single-stock debate < 0.5 s.
"""

from __future__ import annotations

import time
from datetime import date

from rotascope.agents import universe_analysis
from rotascope.agents.stock import stock_analysis
from rotascope.analysis.replay import replay_extra
from rotascope.backtest.replay import replay
from rotascope.config import load_settings
from rotascope.monitor.data import align
from rotascope.monitor.run import build_monitor
from rotascope.store import open_store


def run(home: str) -> list[tuple[str, list[float], str]]:
    settings = load_settings({"home": home})
    store = open_store(settings)
    monitor = build_monitor(store, settings)
    close = align(store.close_panel(["KRT"]), monitor.panel.calendar).column("KRT")
    store.close()
    day = date(2024, 7, 19)
    universe, stock = [], []
    for _ in range(10):
        start = time.perf_counter()
        universe_analysis(monitor, day, "bench")
        universe.append(time.perf_counter() - start)
        start = time.perf_counter()
        stock_analysis(monitor, "KRT", close, "Industrials", day, "bench")
        stock.append(time.perf_counter() - start)
    start = time.perf_counter()
    result = replay(monitor, extra=replay_extra(monitor))
    full = time.perf_counter() - start
    return [
        ("universe analysis: agents + debate + decision (warm)", universe, "target < 1 s"),
        ("single-stock debate KRT (warm)", stock, "target < 0.5 s"),
        (
            f"weekly replay, whole pipeline incl. agents ({len(result.signals):,} weeks)",
            [full],
            "monitor + regime + 4 agents + debate + decision each week; forked workers; target < 20 s",
        ),
    ]
