"""One monitor run: read the store, compute the panel, slice it at the as-of date, apply the rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rotascope.config import Settings
from rotascope.fundamentals.breadth import earnings_internals
from rotascope.monitor.asof import resolve_as_of
from rotascope.monitor.data import load_market_data
from rotascope.monitor.engine import MonitorPanel, compute
from rotascope.records import Record, Regime, Snapshot
from rotascope.regime import Thresholds, evaluate, load_thresholds
from rotascope.store.db import Store

MIN_HISTORY = 252
"""Trading days of history the monitor needs before its first as-of (the 12-month window)."""


class MonitorResult(Record):
    """What `rotascope monitor` shows: the measured snapshot and the regime verdict."""

    as_of: date
    snapshot: Snapshot
    regime: Regime
    disclaimer: str = "Research tooling, not investment advice."


@dataclass(frozen=True)
class Monitor:
    """A computed monitor panel with its thresholds, reusable for any number of as-of dates."""

    panel: MonitorPanel
    thresholds: Thresholds
    cache_dir: Path | None = None
    """Folder for derived on-disk caches (the calibration's weekly feature table); None = no disk cache."""

    def at(self, as_of: date | None) -> MonitorResult:
        day = resolve_as_of(self.panel.calendar, as_of, min_history=MIN_HISTORY)
        snap = self.panel.snapshot(day)
        return MonitorResult(as_of=day, snapshot=snap, regime=evaluate(snap, self.thresholds))


def build_monitor(store: Store, settings: Settings) -> Monitor:
    """Load inputs and compute every indicator over the full history."""
    thresholds = load_thresholds(settings.thresholds)
    data = load_market_data(store)
    data = replace(data, earnings=earnings_internals(store, data.calendar))  # level 4 evidence where stored
    return Monitor(compute(data, thresholds, settings.stale_days), thresholds, settings.home / "cache")
