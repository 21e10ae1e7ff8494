"""`rotascope weekly`: two weeks in a row on the cached data, the second compared with the first (each
change with its old and new value), then an offline run that says so first and exits 1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rotascope.cli import app

DEAD = "http://127.0.0.1:9"
"""A closed local port: every live source unreachable."""


@pytest.fixture()
def env(store_copy: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in [k for k in os.environ if k.startswith("ROTASCOPE_")]:
        monkeypatch.delenv(key)
    return {"ROTASCOPE_HOME": str(store_copy), "ROTASCOPE_TODAY": "2026-12-07"}


def test_two_weeks_then_offline(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    out.mkdir()
    first = runner.invoke(app, ["weekly", "--no-update", "--as-of", "2024-07-12", "--out", str(out)], env=env)
    assert first.exit_code == 0, first.output
    assert "no earlier stored universe analysis" in first.stdout
    second = runner.invoke(
        app, ["weekly", "--no-update", "--as-of", "2024-07-19", "--out", str(out)], env=env
    )
    assert second.exit_code == 0, second.output
    summary = (out / "weekly-2024-07-19.md").read_text()
    assert summary == second.stdout
    lines = summary.splitlines()
    assert lines[0] == "**rotascope weekly, as of 2024-07-19**: cached data, not updated (--no-update)."
    assert lines[2].startswith("STALE DATA: the last complete session is 2026-07-01, 159 days before today")
    at = next(i for i, line in enumerate(lines) if line.startswith("Since last week"))
    assert "(previous analysis " in lines[at] and "as of 2024-07-12)" in lines[at]
    changes = [line[2:] for line in lines[at + 1 : lines.index("", at)]]
    assert f"{len(changes)} items changed." in lines[at]
    # the evidence ladder went from level 0 to 5 that week; IWM/SPY 1m from +1.53 % to +7.57 % (the latter
    # checked by hand in the README); every change shows its old and its new value
    assert "ladder level: 0 → 5" in changes and "IWM/SPY 1m: +1.53% → +7.57%" in changes
    assert any(c.startswith("% of members above their 50-day average: ") for c in changes)
    assert any(c.startswith("HY OAS: ") for c in changes)
    assert all(" → " in c for c in changes)
    assert "Evidence ladder moved up from level 0 to level 5 (as of 2024-07-19)." in summary
    assert (out / "weekly-2024-07-19.html").read_text().startswith("<!DOCTYPE html>")
    assert "[3/4] compare: with" in second.stderr and "(as of 2024-07-12)" in second.stderr

    offline = {
        **env,
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_HTTP_TIMEOUT": "0.5",
        **{
            f"ROTASCOPE_{n}": DEAD
            for n in ("YAHOO_BASE_URL", "FRED_BASE_URL", "ISHARES_BASE_URL", "FRENCH_URL")
        },
    }
    third = runner.invoke(app, ["weekly", "--as-of", "2024-07-19", "--out", str(out)], env=offline)
    assert third.exit_code == 1, third.output
    assert third.stdout.splitlines()[0] == (
        "**rotascope weekly, as of 2024-07-19**: OFFLINE: no source could be refreshed, so this runs on the "
        "cached data."
    )
    assert "[1/4] update:" in third.stderr and "No source could be refreshed" in third.stdout
