"""Point-in-time weekly backtest of the monitor, the regime rules and (injected) agent signals.

Flow: ``calendar.weekly_asof`` (last NYSE session of each week) → ``replay.replay`` (signals per week,
slicing the once-computed monitor panel) → ``forward.forward_relative_return_label`` (the LABEL:
future IWM-minus-SPY returns) → ``attribution.attribute`` (hit rates, IC, block-bootstrap CIs) and
``strategies`` (IWM/SPY pair strategies vs buy-and-hold) → ``report`` (records, PNG, HTML) →
``store.save_backtest`` (table ``backtests``). ``command.register`` adds ``rotascope backtest``.

The re-exports below are resolved lazily (PEP 562) so that importing the package (or one light module of
it, such as ``result`` or ``store``) does not pull in matplotlib, exchange_calendars or the monitor engine;
``command`` itself imports ``report`` (matplotlib), and the CLI imports it only for ``rotascope backtest``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rotascope.backtest.attribution import Attribution, SignalStat, attribute
    from rotascope.backtest.calendar import weekly_asof
    from rotascope.backtest.forward import forward_relative_return_label
    from rotascope.backtest.replay import ExtraSignals, Replay, replay, replay_dates
    from rotascope.backtest.report import BacktestRun, run_backtest, write_outputs
    from rotascope.backtest.result import BacktestParams, BacktestResult
    from rotascope.backtest.store import save_backtest
    from rotascope.backtest.strategies import SimResult, StrategyStats, run_strategies, simulate

_WHERE = {
    "Attribution": "attribution",
    "SignalStat": "attribution",
    "attribute": "attribution",
    "weekly_asof": "calendar",
    "forward_relative_return_label": "forward",
    "ExtraSignals": "replay",
    "Replay": "replay",
    "replay": "replay",
    "replay_dates": "replay",
    "BacktestParams": "result",
    "BacktestResult": "result",
    "BacktestRun": "report",
    "run_backtest": "report",
    "write_outputs": "report",
    "save_backtest": "store",
    "SimResult": "strategies",
    "StrategyStats": "strategies",
    "run_strategies": "strategies",
    "simulate": "strategies",
}

__all__ = [
    "Attribution",
    "BacktestParams",
    "BacktestResult",
    "BacktestRun",
    "ExtraSignals",
    "Replay",
    "SignalStat",
    "SimResult",
    "StrategyStats",
    "attribute",
    "forward_relative_return_label",
    "replay",
    "replay_dates",
    "run_backtest",
    "run_strategies",
    "save_backtest",
    "simulate",
    "weekly_asof",
    "write_outputs",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"rotascope.backtest.{_WHERE[name]}"), name)
