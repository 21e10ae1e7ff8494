"""Every CSV the tool writes is plain RFC 4180: `pandas.read_csv(path)` and DuckDB's `read_csv(path)` read
it with their defaults and agree on its header and rows; notes live in the CSVW sidecar beside it.

Files: `backtest --out` (signals.csv, and the calibration's calls.csv and weights.csv, which `review --out`
writes the same way), `screen -f csv` and `screen --backtest -f csv` (saved as a user would: `> file`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rotascope.config import Settings

FILES = ("signals.csv", "calls.csv", "weights.csv", "screen.csv", "screen_backtest.csv")


def _cli(env: dict[str, str], *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "rotascope", *args], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def written(loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    env = {**os.environ, "ROTASCOPE_HOME": str(loaded_settings.home)}
    out = tmp_path_factory.mktemp("research")
    back = ["backtest", "--start", "2019-01-01", "--end", "2020-12-31", "--horizons", "1,4", "-f", "json"]
    _cli(env, *back, "--out", str(out))
    screen = out / "screen.csv"
    screen.write_text(_cli(env, "screen", "--as-of", "2015-06-30", "--top", "10", "-f", "csv"))
    screen_bt = out / "screen_backtest.csv"
    screen_bt.write_text(
        _cli(env, "screen", "--backtest", "--start", "2015-01-01", "--end", "2016-12-31", "-f", "csv")
    )
    return {name: out / name for name in FILES}


@pytest.mark.parametrize(
    "name", ["signals.csv", "calls.csv", "weights.csv", "screen.csv", "screen_backtest.csv"]
)
def test_reads_with_pandas_and_duckdb_defaults(written: dict[str, Path], name: str) -> None:
    path = written[name]
    text = path.read_text(encoding="utf-8")
    assert not text.startswith("#") and text.endswith("\n")
    frame = pd.read_csv(path)
    con = duckdb.connect()
    try:
        rel = con.read_csv(str(path))
        columns, rows = rel.columns, rel.fetchall()
    finally:
        con.close()
    header = text.splitlines()[0].split(",")
    assert list(frame.columns) == header == list(columns)
    assert len(frame) == len(rows) == len(text.splitlines()) - 1 > 0
    assert not any(str(c).startswith(("#", "Unnamed")) for c in frame.columns)


@pytest.mark.parametrize("name", ["signals.csv", "calls.csv", "weights.csv"])
def test_notes_are_in_a_sidecar(written: dict[str, Path], name: str) -> None:
    meta = json.loads((written[name].parent / f"{name}-metadata.json").read_text())
    assert meta["url"] == name and meta["@context"] == "http://www.w3.org/ns/csvw"
    assert meta["dc:description"]
    header = written[name].read_text().splitlines()[0].split(",")
    for note in meta.get("notes", []):  # every note names columns the file has
        stem = note["columns"].rstrip("*")
        assert any(
            c == note["columns"] or (note["columns"].endswith("*") and c.startswith(stem)) for c in header
        )
