"""Sweep benchmark: 20 thresholds variants over the whole weekly history, each a full replay of the regime
rules and the ladder strategy, on one process, on local processes (2 workers) and on a local Ray (2 CPUs).

Called by benchmarks/run.py with a home that already holds the initialised store. The shared preparation
(the monitor panel and the rules' weekly columns, done once) is timed on its own; the three runs must give
byte-identical results. Ray's time includes starting the local Ray.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import monitor_of

from rotascope.backtest.sweep import load_sweep, prepare, run_sweep
from rotascope.executor import ExecutorName

GRID = """
[grid]
"ladder.relative_strength.min_rel_1m" = [0.0, 0.005, 0.01, 0.015, 0.02]
"killers.yield_spike_13w" = [0.35, 0.5, 0.65, 0.8]
"""


def run(home: str) -> list[tuple[str, list[float], str]]:
    monitor = monitor_of(home)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.toml"
        path.write_text(GRID)
        spec = load_sweep(path)
    began = time.perf_counter()
    shared = prepare(monitor, spec)
    rows: list[tuple[str, list[float], str]] = [
        ("sweep: prepare (the rules' columns of every week)", [time.perf_counter() - began], "once per sweep")
    ]
    outputs: list[str] = []
    runs: list[tuple[str, ExecutorName, int]] = [
        ("one process", "local", 1),
        ("local, 2 workers", "local", 2),
    ]
    try:
        import ray  # noqa: F401

        runs.append(("ray, 2 CPUs", "ray", 2))
    except ImportError:
        print("(skipping the Ray sweep: ray is not installed)")
    for name, executor, workers in runs:
        began = time.perf_counter()
        result = run_sweep(monitor, spec, executor=executor, workers=workers, shared=shared)
        rows.append(
            (
                f"sweep of {len(spec.variants)} variants: {name}",
                [time.perf_counter() - began],
                "whole history",
            )
        )
        outputs.append(result.to_json())
    same = len(set(outputs)) == 1
    rows.append(("sweep: results identical across executors", [0.0], "yes" if same else "NO: DIFFERENT"))
    return rows


if __name__ == "__main__":
    import sys

    for name, times, note in run(sys.argv[1]):
        print(f"{name:<48} {times[0]:8.2f} s  {note}")
