"""The last complete session: the latest calendar date on which every input the ladder reads is present.

The calendar is SPY's trading days, so a source that is ahead (SPY updated, IWM not yet) adds sessions on
which the pairs, breadth or the credit and rates series are missing. The default as-of stays on the last
session where all of them are present, and says which input held it back and which is ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from rotascope._typing import BoolArray, DateArray
from rotascope.monitor.engine import MonitorPanel

LADDER_ETFS = ("SPY", "IWM", "RSP", "KRE", "XLI", "XLF", "XLY", "VIX")
"""The closes the evidence ladder and the killers read (pairs vs SPY, the cyclicals, the stress test)."""
LADDER_SERIES = {
    "hy_oas": "hy_oas",
    "ust_10y": "ust_10y",
    "curve_10y_2y": "curve_10y_2y",
    "claims_4wk": "claims",
}
"""Monitor macro measures the ladder and killers read -> the stored series behind them."""
BREADTH_UNIVERSE = "R2000"
BREADTH_LABEL = "Russell 2000 member closes"
MIN_MEMBER_SHARE = 0.5
"""Breadth counts a session once at least this share of the members priced in the previous sessions
have a close on it (a half-finished member update is not a complete session)."""
MEMBER_LOOKBACK = 5
"""Sessions before a date whose largest member count is the reference for ``MIN_MEMBER_SHARE``."""


@dataclass(frozen=True)
class Completeness:
    """The last complete session, the calendar's last session, and which inputs are behind or ahead."""

    last: date
    """The latest session on which every input is present (the default as-of)."""
    latest: date
    """The calendar's last session (SPY's last close)."""
    held_back: tuple[str, ...] = ()
    """Inputs missing on the first session after ``last``."""
    ahead: tuple[str, ...] = ()
    """Inputs with data after ``last``, each with the date it reaches ('SPY (to 2026-07-06)')."""

    @property
    def complete(self) -> bool:
        return self.last == self.latest

    def note(self) -> str | None:
        """One sentence on why the answer stays behind the latest session (None when nothing is behind)."""
        if self.complete:
            return None
        ahead = ", ".join(self.ahead) or "SPY"
        behind = ", ".join(self.held_back) or "an input the ladder reads"
        return (
            f"As of {self.last}, the last session with every input present: {ahead} "
            f"{'is' if len(self.ahead) <= 1 else 'are'} ahead, but {behind} "
            f"{'has' if len(self.held_back) <= 1 else 'have'} no data after {self.last} (held back)."
        )


@dataclass(frozen=True)
class Input:
    """One ladder input: whether it is present on each calendar session, and the last date it reaches."""

    present: BoolArray
    reach: date | None


def _last(cal: DateArray, has: BoolArray) -> date | None:
    hits = np.flatnonzero(has)
    return cal[hits[-1]].astype(date) if len(hits) else None


def ladder_inputs(panel: MonitorPanel) -> dict[str, Input]:
    """Per ladder input (ETF closes, member breadth, series), where it is present and how far it reaches."""
    data, cal = panel.data, panel.calendar
    out: dict[str, Input] = {}
    for symbol in LADDER_ETFS:
        if symbol in data.etf.symbols:
            has = np.isfinite(data.etf.column(symbol))
            out[symbol] = Input(has, _last(cal, has))
    universe = panel.breadth.get(BREADTH_UNIVERSE)
    if universe is not None:
        n = universe.members_with_data
        ref = np.zeros_like(n)
        for k in range(1, MEMBER_LOOKBACK + 1):  # a handful of shifted maxima, not a loop over dates
            ref[k:] = np.maximum(ref[k:], n[:-k])
        out[BREADTH_LABEL] = Input((n > 0) & (n >= MIN_MEMBER_SHARE * ref), _last(cal, n > 0))
    for name, sid in LADDER_SERIES.items():
        series = panel.macro.get(name)
        if series is None or series.observed is None:
            continue
        limit = series.max_age_days or panel.stale_after_days
        seen = series.observed
        known = ~np.isnat(seen)
        age = np.where(known, (cal - seen).astype("timedelta64[D]").astype(np.int64), 0)
        reach = seen[known][-1].astype(date) if known.any() else None
        out[sid] = Input(known & (age <= limit), reach)
    return out


def completeness(panel: MonitorPanel) -> Completeness:
    """The last session on which every ladder input is present (the calendar's first when none is)."""
    cal = panel.calendar
    inputs = ladder_inputs(panel)
    every = np.logical_and.reduce([i.present for i in inputs.values()]) if inputs else np.ones(len(cal), bool)
    hits = np.flatnonzero(every)
    t = int(hits[-1]) if len(hits) else 0
    last, latest = cal[t].astype(date), cal[-1].astype(date)
    if t == len(cal) - 1:
        return Completeness(last, latest)
    held = tuple(name for name, i in inputs.items() if not i.present[t + 1])
    ahead = tuple(
        f"{name} (to {i.reach})" for name, i in inputs.items() if i.reach is not None and i.reach > last
    )
    return Completeness(last, latest, held, ahead)
