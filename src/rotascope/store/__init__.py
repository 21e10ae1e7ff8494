"""The local DuckDB store: bars, series, instruments, quality flags, loads and analyses."""

from rotascope.store.db import Store, open_store
from rotascope.store.panel import Panel

__all__ = ["Panel", "Store", "open_store"]
