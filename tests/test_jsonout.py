"""ISO dates in JSON output."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from rotascope.jsonout import iso_records


def test_iso_records_dates_and_timestamps() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-07-15", None]),
            "at": pd.to_datetime(["2024-07-15 13:05:00", "2024-07-16"], format="ISO8601"),
            "v": [1.5, 2.0],
        }
    )
    rows = iso_records(frame)
    assert rows[0] == {"date": "2024-07-15", "at": "2024-07-15T13:05:00", "v": 1.5}
    assert rows[1]["date"] is None and rows[1]["at"] == "2024-07-16T00:00:00"


def test_data_show_json_prints_iso_dates(cli_env: dict[str, str]) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rotascope",
            "data",
            "show",
            "cpi_core_yoy",
            "--start",
            "2025-08-01",
            "-f",
            "json",
        ],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = json.loads(out)["rows"]
    assert [r["date"] for r in rows[:3]] == ["2025-08-01", "2025-09-01", "2025-11-01"]
    assert rows[1]["known_at"] == "2025-10-24"  # Sep-2025 CPI, released late (shutdown)
