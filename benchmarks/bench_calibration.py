"""Calibration benchmarks (issue 11): the walk-forward over every week and both horizons.

Three figures: the weekly feature table built cold (the agent replay dominates), the walk-forward alone
on a warm feature table (target < 10 s for both horizons on 2 cores), and `rotascope analyze` warm.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import monitor_of

from rotascope.analysis.replay import replay_extra
from rotascope.calibration.service import calibrate


def run(home: str) -> list[tuple[str, list[float], str]]:
    monitor = monitor_of(home)
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        cal = calibrate(monitor, replay_extra, Path(cache))
        cold = time.perf_counter() - start
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            calibrate(monitor, replay_extra, Path(cache))
            warm.append(time.perf_counter() - start)
    env = {**os.environ, "ROTASCOPE_HOME": home}
    argv = [sys.executable, "-m", "rotascope", "analyze", "--no-save", "--as-of", "2024-07-19"]
    subprocess.run(argv, env=env, check=True, capture_output=True)  # fills the on-disk feature cache
    cli = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        cli.append(time.perf_counter() - start)
    weeks = len(cal.table.asof)
    return [
        (
            f"calibration cold: feature table + walk-forward ({weeks:,} weeks)",
            [cold],
            "agent replay included",
        ),
        ("calibration walk-forward, both horizons (warm features)", warm, "target < 10 s"),
        ("rotascope analyze (warm CLI, calibrated)", cli, "process start included"),
    ]
