#!/usr/bin/env python
"""Benchmarks (`make bench`): wall times of the main jobs on the embedded data, printed as a table.

Each job runs in a fresh temporary home so the numbers are repeatable: `init` cold, then `monitor`
warm (second run; the panel cache is filled by the first).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def cli(env: dict[str, str], *args: str) -> Callable[[], object]:
    def go() -> object:
        return subprocess.run(
            [sys.executable, "-m", "rotascope", *args], env=env, check=True, capture_output=True
        )

    return go


def main() -> None:
    rows: list[tuple[str, list[float], str]] = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ROTASCOPE_HOME": home}
        rows.append(
            ("rotascope init (cold, new store)", timed(cli(env, "init"), 1), "whole embedded dataset")
        )
        rows.append(("rotascope init (already loaded)", timed(cli(env, "init"), 3), "idempotent no-op"))
        cli(env, "monitor")()
        rows.append(("rotascope monitor (warm CLI)", timed(cli(env, "monitor"), 5), "process start included"))
        rows.append(("rotascope monitor --format json", timed(cli(env, "monitor", "-f", "json"), 5), ""))
        for extra in _extra_benchmarks(home):
            rows.append(extra)
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'runs':>4}  {'median s':>9}  {'min s':>7}  note")
    for name, times, note in rows:
        print(
            f"{name:<{width}}  {len(times):>4}  {statistics.median(times):>9.3f}  {min(times):>7.3f}  {note}"
        )


BENCH_MODULES = (
    "bench_warm",
    "bench_scale",
    "bench_engine",
    "bench_agents",
    "bench_calibration",
    "bench_cross",
    "bench_backtest",
    "bench_report",
    "bench_web",
    "bench_web_load",
    "bench_screen",
    "bench_live_bulk",
    "bench_sentiment",
    "bench_sweep",
    "bench_memory",
)


def _extra_benchmarks(home: str) -> list[tuple[str, list[float], str]]:
    """In-process benchmarks of each stage (benchmarks/bench_*.py), run against the same store."""
    import importlib

    sys.path.insert(0, os.path.dirname(__file__))
    out: list[tuple[str, list[float], str]] = []
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            print(f"(skipping {name}: {exc})", file=sys.stderr)
            continue
        out.extend(module.run(home))
    return out


if __name__ == "__main__":
    main()
