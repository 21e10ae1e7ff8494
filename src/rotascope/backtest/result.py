"""The backtest's stored records: what was asked (``BacktestParams``) and the whole run (``BacktestResult``).

Apart from :mod:`rotascope.backtest.report` (which imports matplotlib) so that reading a stored run back
(``store.load_backtest``: the web API, the desk report) needs only the records.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from rotascope.backtest.attribution import CONFIDENCE, DRAWS, SEED, Attribution
from rotascope.backtest.membership import MembershipComparison
from rotascope.backtest.strategies import StrategyStats
from rotascope.records import Record

DISCLAIMER = "Research tooling, not investment advice. Past relative returns do not predict future ones."


class BacktestParams(Record):
    """What was asked of the backtest (stored with the run)."""

    start: date | None
    end: date | None
    horizons: list[int]
    cost_bps: float
    lag: int = 1
    stop: float = 0.10
    draws: int = DRAWS
    confidence: float = CONFIDENCE
    seed: int = SEED
    extra: list[str] = Field(default_factory=list)
    """Names of the injected extra signals (empty when none)."""
    tilt: str | None = None
    """Signal column used as the decision-tilt weight, or a description of the injected series."""


class BacktestResult(Record):
    """The whole run as one record: attribution of every signal and strategies vs benchmarks."""

    params: BacktestParams
    data_fingerprint: str
    source: str
    start: date
    end: date
    """The last weekly as-of (decision date) of the window."""
    weeks: int
    attribution: Attribution
    strategies: list[StrategyStats]
    benchmarks: list[StrategyStats]
    caveats: list[str]
    disclaimer: str = DISCLAIMER
    last_day: date | None = None
    """The window's last trading day (on or before --end): strategies and benchmarks close there, and no
    price or outcome after it is read (None: a run stored before windows were closed)."""
    membership: MembershipComparison | None = None
    """Which member list each week was counted on, and the replay re-run on today's members where dated
    lists exist (None: not computed)."""
