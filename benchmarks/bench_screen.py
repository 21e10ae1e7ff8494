"""Screen benchmark: `rotascope screen` over all Russell 2000 members at one as-of (warm, in process).

Called by benchmarks/run.py with a home that already holds the initialised store. The member close panel
is read once (cached per store, like every panel); what is timed is the as-of work: loading the
fundamentals known at the date, scoring every member and building the ranked rows. Target: < 1 s.
"""

from __future__ import annotations

from datetime import date

from run import timed

from rotascope.config import load_settings
from rotascope.fundamentals.screen import member_panel, screen_at
from rotascope.store.db import open_store

AS_OFS = (date(2015, 6, 30), date(2019, 6, 28), date(2025, 12, 19))


def run(home: str) -> list[tuple[str, list[float], str]]:
    """(name, wall times in seconds, note) rows for benchmarks/run.py."""
    store = open_store(load_settings({"home": home}))
    try:
        member_panel(store)  # warm the panel, as every later call in a process finds it
        return [
            (f"screen all members {day} (warm)", timed(lambda d=day: screen_at(store, d), 3), "target < 1 s")
            for day in AS_OFS
        ]
    finally:
        store.close()
