"""Warm answers as whole processes: `rotascope monitor` / `analyze` / `debate` / `backtest -f json` beside
the polars yardstick.

The yardstick (``../shared/bench/polars_monitor.py``) is a plain polars script that reads the bundled
Parquet and computes only the core breadth and relative strength; it runs in its own virtual environment
(``ROTASCOPE_BENCH_POLARS_PY`` names its python, else one is made under ~/.cache/rotascope-bench). The
commands run in turn (A B A B …) so the ratio is taken pair by pair on the same machine state.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import wall

REPO = Path(__file__).resolve().parents[1]
YARDSTICK = REPO.parent / "shared" / "bench" / "polars_monitor.py"
BUNDLED = REPO / "src" / "rotascope" / "data" / "bundled"
RUNS = 5


def polars_python() -> Path | None:
    """A python with polars, made once (pip needs the network); None when it cannot be had."""
    given = os.environ.get("ROTASCOPE_BENCH_POLARS_PY")
    if given:
        return Path(given)
    venv = Path.home() / ".cache" / "rotascope-bench" / "polars"
    py = venv / "bin" / "python"
    if not py.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run(
                [str(py), "-m", "pip", "install", "-q", "polars", "pyarrow", "numpy"],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    return py


def run(home: str) -> list[tuple[str, list[float], str]]:
    env = {**os.environ, "ROTASCOPE_HOME": home}
    rot = [sys.executable, "-m", "rotascope"]
    # fill the saved panel, the stored answers and the backtest's caches (features, calibrated tilt,
    # the weekly replay and the membership re-replay, the XNYS sessions)
    for warm in (["monitor"], ["analyze"], ["debate", "SAIA"], ["backtest", "-f", "json"]):
        subprocess.run([*rot, *warm], env=env, check=True, capture_output=True)
    py = polars_python()
    if py is None or not YARDSTICK.exists():
        why = "no polars python" if py is None else f"{YARDSTICK} missing"
        return [("warm monitor vs polars yardstick", [float("nan")], f"skipped: {why}")]
    yard = [str(py), str(YARDSTICK), str(BUNDLED)]
    rows: list[tuple[str, list[float], str]] = []
    polars_all: list[float] = []
    for label, args in (
        ("monitor (warm, whole process)", ["monitor"]),
        ("analyze (warm, whole process)", ["analyze"]),
        ("debate SAIA (warm, whole process)", ["debate", "SAIA"]),
        ("backtest -f json (warm, whole process)", ["backtest", "-f", "json"]),
    ):
        mine, theirs = [], []
        for _ in range(RUNS):
            mine.append(wall([*rot, *args], env))
            theirs.append(wall(yard, env))
        polars_all += theirs
        ratios = [b / a for a, b in zip(mine, theirs, strict=True)]
        rows.append(
            (label, mine, f"polars script / this, pair by pair: median {statistics.median(ratios):.1f}x")
        )
    rows.append(("polars yardstick script (whole process)", polars_all, "core breadth + RS only"))
    return rows
