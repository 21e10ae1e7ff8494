"""The agents' weekly signals for `rotascope backtest`, assembled by the same code as every analysis.

The replay reads only the monitor panel (prices, series by ``known_at``): stored headlines and SEC facts
cover a few recent periods at most, so the replay runs the agents without them and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from rotascope.agents.run import universe_analysis
from rotascope.backtest.replay import replay_dates
from rotascope.executor import parallel_map
from rotascope.monitor.run import Monitor, MonitorResult

if TYPE_CHECKING:
    import pandas as pd

REPLAY_CONFIG = "replay"
"""Config-hash stand-in for replay analyses (never stored)."""


def agent_signals(monitor: Monitor, as_of: date) -> dict[str, float]:
    """The agents' final scores and the decision's conviction and tilt as replay signals (floats)."""
    a = universe_analysis(monitor, as_of, REPLAY_CONFIG, full_risk=False)
    out = {f"agent_{o.agent}": o.score for o in a.debate.final}
    out["decision_conviction"] = a.decision.conviction
    out["decision_tilt"] = a.decision.tilt
    return out


def replay_extra(monitor: Monitor) -> Callable[[MonitorResult], dict[str, float]]:
    """Per-week agent signals for the backtest replay, computed for all remaining weeks in parallel
    (forked workers, see rotascope.executor) on the first call and served from memory after."""
    cache: dict[date, dict[str, float]] = {}

    def extra(result: MonitorResult) -> dict[str, float]:
        if result.as_of not in cache:
            days = [d.astype(date) for d in replay_dates(monitor, start=result.as_of)]
            cache.update(zip(days, parallel_map(lambda d: agent_signals(monitor, d), days), strict=True))
        return cache[result.as_of] if result.as_of in cache else agent_signals(monitor, result.as_of)

    return extra


CALIBRATED_TILT = "calibrated decision tilt (walk-forward probabilities, the decision agent's rule)"
"""What strategy 3 of `rotascope backtest` trades (``rotascope.analysis.calibrated_tilt``)."""


def calibrated_tilt(monitor: Monitor) -> pd.Series:
    """The decision agent's calibrated tilt at every weekly as-of (imported when the backtest runs: the
    calibrator pulls in scikit-learn, which the CLI's start-up should not)."""
    from rotascope.analysis.calibrated_tilt import calibrated_tilt_series

    return calibrated_tilt_series(monitor, replay_extra)
