"""What several benchmarks share: the monitor of a benchmark home, and the wall time of a whole process."""

from __future__ import annotations

import subprocess
import time

from rotascope.config import load_settings
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.store.db import open_store


def monitor_of(home: str) -> Monitor:
    """The monitor of the store in ``home`` (the store is closed again before it is returned)."""
    settings = load_settings({"home": home})
    store = open_store(settings)
    try:
        return build_monitor(store, settings)
    finally:
        store.close()


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from the start of ``argv`` to its exit (it must exit 0)."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - start
