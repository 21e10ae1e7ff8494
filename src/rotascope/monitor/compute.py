"""The monitor's cold path: read everything the panel is computed from out of the store."""

from __future__ import annotations

from dataclasses import replace

from rotascope.fundamentals.breadth import earnings_internals
from rotascope.monitor.data import MarketData, load_market_data
from rotascope.store.db import Store


def load_inputs(store: Store) -> MarketData:
    """Market data aligned on one calendar, with level-4 earnings evidence where stored."""
    data = load_market_data(store)
    data = replace(data, earnings=earnings_internals(store, data.calendar))
    if not store.write:
        store.release()  # frees DuckDB's cached blocks (100-200 MB) before the compute; reopened on demand
    return data
