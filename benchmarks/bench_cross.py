"""Cross-sectional calibration of single names (issue 23): the pooled walk-forward over every member and
weekly as-of, both horizons, cold (no cache; target < 60 s on 2 cores), and read back from its cache.

Wall and CPU seconds are both reported: the fits run single-threaded, so on an idle machine the wall time is
about the CPU time; on a loaded one the wall time is not the code's.

    PYTHONPATH=src ROTASCOPE_HOME=... python benchmarks/bench_cross.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import monitor_of

from rotascope.calibration import cross


def run(home: str) -> list[tuple[str, list[float], str]]:
    monitor = monitor_of(home)
    wall = time.perf_counter()
    cpu = time.process_time()
    cc = cross.cross_calibrate(monitor)
    cold_wall, cold_cpu = time.perf_counter() - wall, time.process_time() - cpu
    cells = len(cc.asof) * len(cc.symbols)
    with tempfile.TemporaryDirectory() as cache:
        path = Path(cache) / "cross.npz"
        cross._put(path, cc)
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            cross._get(path, monitor.thresholds.calibration)
            warm.append(time.perf_counter() - start)
    return [
        (
            f"cross-sectional walk-forward cold ({len(cc.asof):,} weeks x {len(cc.symbols):,} names = "
            f"{cells:,} cells, horizons {sorted(cc.runs)})",
            [cold_wall],
            f"wall; CPU {cold_cpu:.1f} s; target < 60 s on 2 cores",
        ),
        ("cross-sectional calibration read from its cache", warm, "float32 .npz"),
    ]


if __name__ == "__main__":
    for name, times, note in run(os.environ.get("ROTASCOPE_HOME", sys.argv[-1])):
        print(f"{name}: {min(times):.2f} s  ({note})")
