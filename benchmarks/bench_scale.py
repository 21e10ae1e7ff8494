"""Scale: how the member-breadth pass (the monitor's cost that grows with symbols x days) scales with width.

The real Russell 2000 member closes are tiled side by side to 1x, 2x and 4x their width (each copy scaled
by a different constant so no two columns are equal) over the whole stored history; the time and the
peak of new memory (tracemalloc) per symbol-day feed the projection in docs/scale.md.
Run alone: ``python benchmarks/bench_scale.py HOME`` prints the per-cell figures.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
from common import monitor_of

from rotascope.indicators import breadth as br


def members(home: str) -> np.ndarray:
    close = monitor_of(home).panel.data.members.float64()
    first = int(np.flatnonzero(np.isfinite(close).any(axis=1))[0])
    return close[first:]


def measure(close: np.ndarray, width: int) -> tuple[float, int, int]:
    """(seconds, peak new bytes, cells) of one breadth pass over ``width`` columns."""
    reps = -(-width // close.shape[1])
    wide = np.concatenate([close * (1 + 0.001 * k) for k in range(reps)], axis=1)[:, :width]
    tracemalloc.start()
    start = time.perf_counter()
    br.breadth_panel(wide)
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return took, peak, wide.size


def run(home: str) -> list[tuple[str, list[float], str]]:
    close = members(home)
    rows: list[tuple[str, list[float], str]] = []
    for mult in (1, 2, 4):
        width = close.shape[1] * mult
        took, peak, cells = measure(close, width)
        rows.append(
            (
                f"breadth pass, {width:,} symbols x {close.shape[0]:,} days",
                [took],
                f"{took / cells * 1e9:.0f} ns and {peak / cells:.0f} B of peak memory per symbol-day",
            )
        )
    return rows


if __name__ == "__main__":
    for name, times, note in run(sys.argv[1]):
        print(f"{name}: {times[0]:.2f} s; {note}")
