"""Every command's table output reads at 80 columns: no table line wider than the console, no value cut.

Runs the real commands (subprocesses, COLUMNS=80) on a private copy of the real store and fails on a table
line wider than 80 characters or on an ellipsis anywhere (rich cuts numbers, dates and names with "…").
Issue 25: fewer columns, wrapped text or stacked rows, never a cut value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rotascope.config import Settings
from storecopy import private_home

pytestmark = pytest.mark.slow

RULES = set("│┃┏┓┗┛┡┩┣┫╇╈━─┼┬┴")
COMMANDS: list[list[str]] = [
    ["data", "status"],
    ["monitor", "--as-of", "2024-07-19"],
    ["analyze", "--as-of", "2024-07-12"],
    ["analyze", "--as-of", "2024-07-19"],
    ["debate", "SAIA", "--as-of", "2024-07-19"],
    ["debate", "--all", "--as-of", "2024-07-19", "--top", "5"],
    ["history"],
    ["screen", "--as-of", "2015-06-30", "--top", "10"],
    ["screen", "--backtest"],
    ["backtest", "--start", "2018-01-01", "--end", "2019-12-31"],
    ["review"],
]


def _cut_or_wide(text: str) -> list[str]:
    bad = []
    for line in text.splitlines():
        if "…" in line:
            bad.append(f"cut: {line!r}")
        elif len(line) > 80 and RULES & set(line):
            bad.append(f"{len(line)} wide: {line!r}")
    return bad


def test_every_command_fits_80_columns(warm_cache: Settings, tmp_path: Path) -> None:
    home = private_home(warm_cache, tmp_path / "home", cache=True)  # widths, not a cold start
    env = {**os.environ, "ROTASCOPE_HOME": str(home), "COLUMNS": "80", "LINES": "50"}
    problems: dict[str, list[str]] = {}
    for args in COMMANDS:
        run = subprocess.run(
            [sys.executable, "-m", "rotascope", *args], env=env, capture_output=True, text=True, timeout=900
        )
        assert run.returncode == 0, f"{args}: {run.stderr[-800:]}"
        found = _cut_or_wide(run.stdout)
        if found:
            problems[" ".join(args)] = found[:3]
    listed = subprocess.run(
        [sys.executable, "-m", "rotascope", "history", "-f", "json"], env=env, capture_output=True, text=True
    )
    stored = {(r["as_of"], r["kind"]): r["id"] for r in json.loads(listed.stdout)}
    earlier, later = stored[("2024-07-12", "universe")], stored[("2024-07-19", "universe")]
    diff = subprocess.run(
        [sys.executable, "-m", "rotascope", "diff", earlier, later], env=env, capture_output=True, text=True
    )
    assert diff.returncode == 0, diff.stderr
    if found := _cut_or_wide(diff.stdout):
        problems["diff"] = found[:3]
    assert not problems, problems
