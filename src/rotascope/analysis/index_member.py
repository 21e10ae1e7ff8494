"""Was a stock in an index at an as-of? Point in time where a dated list was known by then (Russell 2000
from 2022, S&P 500 from 2018), else today's members. It decides what a single name is judged against:
a Russell 2000 member against IWM, any other stock against SPY, labelled as such."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rotascope._typing import BoolArray
from rotascope.monitor.engine import MonitorPanel

R2000, SP500 = "R2000", "SP500"


@dataclass(frozen=True)
class IndexMembership:
    """Whether ``symbol`` was on ``universe`` at the as-of, and on which list that was decided."""

    symbol: str
    universe: str
    member: bool
    basis: str
    """'the R2000 list of 2024-06-30', or 'today's members' before the first dated list."""


def _list_row(panel: MonitorPanel, universe: str, day: date) -> int | None:
    """Row of the ``universe`` list in force at ``day`` in its point-in-time table (None: no dated list)."""
    u = panel.breadth.get(universe)
    if u is None or u.pit is None or u.list_row is None:
        return None
    k = int(u.list_row[panel.row(day)])
    return k if k >= 0 else None


def on_list(panel: MonitorPanel, universe: str, symbols: tuple[str, ...], day: date) -> BoolArray:
    """Per symbol: on the ``universe`` list in force at ``day`` (today's members before the first list)."""
    u = panel.breadth.get(universe)
    k = _list_row(panel, universe, day)
    if u is not None and u.pit is not None and k is not None:
        where = pd.Index(u.pit.close.symbols).get_indexer(pd.Index(list(symbols)))
        return np.asarray((where >= 0) & u.pit.listed[k][np.maximum(where, 0)], dtype=bool)
    if u is not None and u.pit is not None:
        today: list[str] = list(u.pit.close.symbols[: u.pit.n_current])
    elif universe == R2000:
        today = list(panel.data.members.symbols)
    else:
        today = []
    return np.asarray(pd.Index(list(symbols)).isin(today), dtype=bool)


def membership(panel: MonitorPanel, universe: str, symbol: str, day: date) -> IndexMembership:
    """``symbol`` on the ``universe`` list in force at ``day`` (today's members before the first list)."""
    member = bool(on_list(panel, universe, (symbol,), day)[0])
    u = panel.breadth.get(universe)
    k = _list_row(panel, universe, day)
    if u is not None and u.pit is not None and k is not None:
        listed = u.pit.list_dates[k].astype("datetime64[D]").astype(date)
        return IndexMembership(symbol, universe, member, f"the {universe} list of {listed}")
    return IndexMembership(symbol, universe, member, "today's members (no dated list known then)")


def outside_r2000_label(symbol: str, day: date, r2000: IndexMembership, sp500: IndexMembership) -> str:
    """The one line a stock outside the Russell 2000 is labelled with (it is never called a small cap)."""
    size = ", as a large cap" if sp500.member else ", as a stock outside the small-cap index"
    return f"{symbol} is not a Russell 2000 member at {day} ({r2000.basis}): debated against SPY{size}."
