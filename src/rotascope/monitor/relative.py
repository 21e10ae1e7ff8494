"""Relative-strength pairs of the monitor (small caps, equal weight, style, banks vs the S&P 500)."""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope.monitor.data import MarketData
from rotascope.records import RelativeStrength, rnd

WINDOWS: dict[str, int] = {"1w": 5, "1m": 21, "3m": 63, "6m": 126, "12m": 252}
"""Trading-day lengths of the relative-return windows."""

PAIRS: tuple[tuple[str, str], ...] = (
    ("IWM", "SPY"),
    ("RSP", "SPY"),
    ("IWM", "QQQ"),
    ("IWN", "IWO"),
    ("KRE", "SPY"),
)
CORE_PAIRS = PAIRS[:2]


def relative_strength(data: MarketData, numerator: str, denominator: str, as_of: date) -> RelativeStrength:
    """Ratio and its returns over each window, using only closes dated <= as_of."""
    row = int(np.searchsorted(data.calendar, np.datetime64(as_of, "D"), side="right")) - 1
    ratio = data.etf.column(numerator)[: row + 1] / data.etf.column(denominator)[: row + 1]
    now = ratio[row] if row >= 0 else np.nan
    returns = {name: rnd(now / ratio[row - k] - 1.0) if row - k >= 0 else None for name, k in WINDOWS.items()}
    return RelativeStrength(
        pair=f"{numerator}/{denominator}",
        numerator=numerator,
        denominator=denominator,
        as_of=as_of,
        ratio=rnd(now),
        returns=returns,
        source=data.source,
    )
