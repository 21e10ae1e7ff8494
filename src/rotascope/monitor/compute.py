"""The monitor's cold path: read everything from the store and compute the panel over the full history."""

from __future__ import annotations

from dataclasses import replace

from rotascope.fundamentals.breadth import earnings_internals
from rotascope.monitor.data import load_market_data
from rotascope.monitor.engine import MonitorPanel, compute
from rotascope.regime import Thresholds
from rotascope.store.db import Store


def compute_panel(store: Store, thresholds: Thresholds, stale_days: int) -> MonitorPanel:
    """Load inputs (with level-4 earnings evidence where stored) and compute every indicator."""
    data = load_market_data(store)
    data = replace(data, earnings=earnings_internals(store, data.calendar))
    return compute(data, thresholds, stale_days)
