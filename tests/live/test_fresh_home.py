"""Issue #22's proof on a fresh home: right after `rotascope init` (offline), `monitor` and `analyze` say how
old the data is in their first line and in their JSON, and the data's source is `bundled` (the bundled
headline sample is not a live load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rotascope.cli import app

TODAY = date(2026, 12, 7)
LAST = date(2026, 7, 1)
"""The embedded data's last session (every input present on it)."""


@pytest.fixture()
def fresh(store_copy: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A home where `rotascope init` has just run (the copy of the loaded store gets the headline sample
    `init` adds, as a first `init` loads it), every live source unset."""
    for key in [k for k in os.environ if k.startswith("ROTASCOPE_") or k == "POLYGON_API_KEY"]:
        monkeypatch.delenv(key)
    env = {"ROTASCOPE_HOME": str(store_copy), "ROTASCOPE_TODAY": TODAY.isoformat()}
    init = subprocess.run(
        [sys.executable, "-m", "rotascope", "init"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert init.returncode == 0, init.stderr
    return env


def test_monitor_and_analyze_say_the_data_age_first_and_the_source_is_bundled(fresh: dict[str, str]) -> None:
    age = (TODAY - LAST).days
    first = (
        f"STALE DATA: the last complete session is {LAST}, {age} days before today ({TODAY}), older than "
        "the stale_days limit of 10; run `rotascope update` to refresh."
    )
    runner = CliRunner()
    answers: dict[str, dict[str, Any]] = {}
    for command in (["monitor"], ["analyze", "--no-save"]):
        text = runner.invoke(app, command, env=fresh)
        assert text.exit_code == 0, text.output
        lines = text.stdout.splitlines()
        assert lines[0] == first, command
        if command == ["monitor"]:
            assert lines[1].startswith(f"rotascope monitor — as of {LAST} — source: bundled (data")
        as_json = runner.invoke(app, [*command, "-f", "json"], env=fresh)
        assert as_json.exit_code == 0, as_json.output
        got = answers[command[0]] = json.loads(as_json.stdout)
        assert (got["data_as_of"], got["data_age_days"], got["stale"], got["stale_days"], got["today"]) == (
            LAST.isoformat(),
            age,
            True,
            10,
            TODAY.isoformat(),
        ), command
        assert got["as_of"] == LAST.isoformat() and got["complete_note"] is None
        assert "bundled+live" not in text.stdout + as_json.stdout and "live:" not in as_json.stdout
    fingerprint = answers["analyze"]["data_fingerprint"]  # every load the answer rests on, none of them live
    assert fingerprint.startswith("bundled:") and "bundled_headlines:" in fingerprint
