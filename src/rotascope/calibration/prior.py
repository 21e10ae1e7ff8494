"""The size prior: how often small caps ended above vs below the outcome band in the decades before IWM.

IWM's own history starts in 2000 and its first years were a small-cap boom (2000-05: 13 % of 13-week
outcomes bear, 45 % bull), so an expanding climatology learned there said "bear 14-20 %" through 2011
while 27 % of 2006-11 outcomes were bear. The Fama-French size factor reaches back to 1926: over its weeks
before 2000 (``size_history.parquet``, built by ``scripts/build_size_history.py``) a small-cap leg
(market + SMB) is labelled against the market with exactly the IWM/SPY rule (``outcomes.weekly_labels``:
same horizon, band multiplier and volatility window). ``outcomes.climatology`` adds these bear and bull
counts to the IWM labels when it splits the out-of-band share between bull and bear; how often an outcome
leaves the band at all stays IWM's own (the band's width is fitted to that pair). No weight is chosen: the
prior counts exactly the weeks it has. Every prior label ends before 2000-01-01, before the first IWM
week, so no as-of ever sees a later one. Values are today's vintage of the French library (revisions of
pre-2000 values are small; the size factor itself has been published since 1993).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from rotascope._typing import DateArray, Float64Array
from rotascope.calibration.outcomes import BASE, BEAR, BULL, UNIVERSE_PAIR, weekly_labels
from rotascope.regime.thresholds import CalibrationRules
from rotascope.weeks import last_per_week

HISTORY = Path(__file__).with_name("size_history.parquet")


@dataclass(frozen=True)
class SizePrior:
    """Bear/base/bull label counts of the size factor's pre-IWM weeks for one horizon and band rule."""

    horizon: int
    bear: int
    base: int
    bull: int
    first: date
    """First labelled week."""
    last: date
    """Last labelled week (its outcome ends on or before the history's last day)."""

    @property
    def weeks(self) -> int:
        return self.bear + self.base + self.bull

    def text(self) -> str:
        """One sentence with the counts, for notes and reports."""
        return (
            f"the size factor's {self.weeks:,} {self.horizon}-week outcomes of {self.first.year}-"
            f"{self.last.year} ({self.bear:,} bear, {self.bull:,} bull)"
        )


@lru_cache(maxsize=1)
def _history() -> tuple[DateArray, Float64Array, Float64Array]:
    table = pq.read_table(HISTORY)
    days = table.column("date").to_numpy().astype("datetime64[D]")
    mkt = table.column("mkt").to_numpy().astype(np.float64) / 10_000.0
    smb = table.column("smb").to_numpy().astype(np.float64) / 10_000.0
    return days, mkt, smb


@lru_cache(maxsize=16)
def size_prior(horizon: int, band_k: float, band_window: int) -> SizePrior:
    """Label every pre-IWM week of the size factor with the IWM/SPY rule and count the classes."""
    days, mkt, smb = _history()
    market = np.asarray(np.cumprod(1.0 + mkt), dtype=np.float64)
    small = np.asarray(np.cumprod(1.0 + mkt + smb), dtype=np.float64)
    weeks = last_per_week(
        days
    )  # Monday-Sunday weeks, as everywhere (a pre-1952 Saturday session closes its week)
    labels = weekly_labels(days, small, market, weeks, horizon, band_k, band_window)
    ok = np.isfinite(labels.cls)
    counts = np.bincount(labels.cls[ok].astype(np.int64), minlength=3)
    known = weeks[ok]
    return SizePrior(
        horizon=horizon,
        bear=int(counts[BEAR]),
        base=int(counts[BASE]),
        bull=int(counts[BULL]),
        first=known[0].astype(date),
        last=known[-1].astype(date),
    )


def prior_for(subject: str, benchmark: str, horizon: int, rules: CalibrationRules) -> SizePrior | None:
    """The size prior of a pair's base rates: for IWM against SPY when ``[calibration] size_prior`` is on
    (the universe and IWM debated against SPY alike), else None (the pair's own labels only)."""
    if not rules.size_prior or (subject, benchmark) != UNIVERSE_PAIR:
        return None
    return size_prior(horizon, rules.band_k, rules.band_window)
