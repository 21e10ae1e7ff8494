"""`rotascope weekly`: two weeks in a row on the cached data, the second compared with the first (each
change with its old and new value), then an offline run that says so first and exits 1; against a local
fake server, an update whose sources answer but fail, and one that partly succeeds while a source refuses
its key, each say so truthfully in the summary's first line and exit 1."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from live_replay import LiveReplay, Reply
from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.providers.polygon import grouped_path

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
    first_line = third.stdout.splitlines()[0]
    assert first_line.startswith(
        "**rotascope weekly, as of 2024-07-19**: OFFLINE: no source could be reached (none of the "
    )
    assert first_line.endswith("), so this runs on the cached data.")
    assert "[1/4] update:" in third.stderr and "No source could be refreshed" in third.stdout


def served(env: dict[str, str], replay: LiveReplay, **more: str) -> dict[str, str]:
    """``env`` with every live source at the local fake server (no retries, the plain HTTP transport); the
    French library is left out (``french_url`` empty): the counts are those of the sources scripted here."""
    names = ("YAHOO_BASE_URL", "FRED_BASE_URL", "FRED_API_BASE_URL", "ISHARES_BASE_URL", "POLYGON_BASE_URL")
    return {
        **env,
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_HTTP_TIMEOUT": "5",
        "ROTASCOPE_YAHOO_TRANSPORT": "httpx",
        "POLYGON_API_KEY": "",
        "ROTASCOPE_FRENCH_URL": "",
        **{f"ROTASCOPE_{n}": replay.url for n in names},
        **more,
    }


def failed_by_source(replay: LiveReplay) -> dict[str, int]:
    """Requests the fake server answered 404 (nothing scripted), per source, as the server saw them."""
    paths = [r.path for r in replay.requests]
    return {
        "Yahoo Finance": sum(p.startswith("/v8/finance/chart/") for p in paths),
        "FRED": sum(p.startswith("/graph/") or p.startswith("/fred/") for p in paths),
    }


def test_sources_that_answer_with_errors_are_not_called_offline(
    env: dict[str, str], replay: LiveReplay, tmp_path: Path
) -> None:
    """Every source answers, but every reply is an error (nothing scripted: HTTP 404): UPDATE FAILED names
    the sources that answered and how many items each lost, never OFFLINE; exit 1."""
    result = CliRunner().invoke(
        app, ["weekly", "--as-of", "2024-07-19", "--out", str(tmp_path)], env=served(env, replay)
    )
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert "OFFLINE" not in first and "could not be reached" not in first
    asked = failed_by_source(replay)
    assert asked["Yahoo Finance"] > 3 and asked["FRED"] > 3  # a 404 is an answer: no breaker, all asked
    n = asked["Yahoo Finance"] + asked["FRED"] + 1  # and the one iShares fund
    assert first == (
        f"**rotascope weekly, as of 2024-07-19**: UPDATE FAILED: all {n} items failed (Yahoo Finance "
        f"{asked['Yahoo Finance']}, FRED {asked['FRED']}, iShares 1); Yahoo Finance, FRED, iShares answered, "
        "but with errors, so this runs on the cached data."
    )


def test_a_partial_update_with_a_refused_key_says_how_many_failed_and_what_to_fix(
    env: dict[str, str], replay: LiveReplay, tmp_path: Path
) -> None:
    """SPY and IWM update, the other ETFs and the series fail (HTTP 404), and the bulk source refuses its key
    (HTTP 401): PARTIAL UPDATE with the rows stored, the failures per source, the refusal's own sentence
    after 'To fix:', and exit 1."""
    replay.serve("/v8/finance/chart/SPY", "yahoo/SPY_live.json", "application/json")
    replay.serve("/v8/finance/chart/IWM", "yahoo/IWM_live.json", "application/json")
    replay.script(grouped_path(date(2026, 8, 3)), Reply(401, b'{"status":"ERROR"}'))  # the first bulk day
    key = "pk_live_rejected_never_shown"
    result = CliRunner().invoke(
        app,
        ["weekly", "--as-of", "2024-07-19", "--out", str(tmp_path)],
        env=served(env, replay, POLYGON_API_KEY=key),
    )
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert key not in result.stdout + result.stderr
    asked = failed_by_source(replay)
    with duckdb.connect(str(Path(env["ROTASCOPE_HOME"]) / "rotascope.duckdb"), read_only=True) as conn:
        stored = conn.execute("SELECT count(*) FROM bars WHERE source = 'live'").fetchall()[0][0]
    assert stored > 0
    # the bulk source's days: weekdays after the members' last stored session (2026-07-31) up to the eve of
    # the pinned today (2026-12-07, not yet closed); the first is refused, the others are not attempted
    span = (date(2026, 12, 6) - date(2026, 8, 3)).days + 1
    bulk = sum((date(2026, 8, 3) + timedelta(days=i)).weekday() < 5 for i in range(span))
    yahoo = asked["Yahoo Finance"] - 2  # every chart but SPY's and IWM's
    failed = yahoo + bulk + asked["FRED"] + 1
    assert first == (
        f"**rotascope weekly, as of 2024-07-19**: PARTIAL UPDATE: {stored:,} rows stored, but {failed} of "
        f"{failed + 2} items failed (Yahoo Finance {yahoo}, Polygon.io {bulk}, FRED {asked['FRED']}, "
        "iShares 1); those run on the cached data. To fix: Polygon.io refused the request for 2026-08-03 "
        "(HTTP 401); check the API key or User-Agent."
    )
