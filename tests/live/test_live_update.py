"""`rotascope update` against the local replay server, on a copy of the real store: incremental writes,
no partial session, faults that lose nothing, one failing source leaving the others updated, resumption
after a failure and after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import duckdb
import pytest
import typer
from live_replay import (
    FRENCH,
    MID_SESSION,
    LiveReplay,
    MakeSettings,
    Reply,
    french_zip,
    last_date,
    recording,
    script_all_fred,
    table_digest,
)
from typer.testing import CliRunner

from rotascope.config import Settings
from rotascope.live.update import ItemResult, run_update

SPY = "/v8/finance/chart/SPY"
IWM = "/v8/finance/chart/IWM"


class Sleeps:
    """Records sleeps (backoff, Retry-After) instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def script_yahoo(replay: LiveReplay) -> None:
    replay.serve(SPY, "yahoo/SPY_live.json", "application/json")
    replay.serve(IWM, "yahoo/IWM_live.json", "application/json")


def script_others(replay: LiveReplay) -> None:
    script_all_fred(replay)
    replay.serve("/files/company_tickers.json", "sec/company_tickers.json")
    replay.serve("/api/xbrl/companyfacts/CIK0000320193.json", "sec/CIK0000320193.json")
    replay.serve("/feeds/markets", "news/markets_rss.xml", "application/rss+xml")
    replay.serve(
        "/us/products/239710/ishares-russell-2000-etf/1467271812596.ajax", "ishares/IWM_holdings.csv"
    )
    replay.script(FRENCH, Reply(200, french_zip()))


def rows(db: object, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def test_update_adds_data_after_the_last_stored_date(replay: LiveReplay, make_settings: MakeSettings) -> None:
    script_yahoo(replay)
    script_others(replay)
    settings = make_settings(news_feeds=f"{replay.url}/feeds/markets")
    db = settings.db
    assert last_date(db, "SPY") == date(2026, 7, 1)
    bundled_before = table_digest(db, "bars", "source = 'bundled'")
    ust_before = rows(db, "SELECT max(date) FROM series WHERE series_id = 'ust_10y'")[0][0]
    fp_before = rows(db, "SELECT string_agg(fingerprint, '+' ORDER BY source) FROM loads")[0][0]

    report = run_update(settings, symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())

    assert report.ok, report.summary_lines()
    assert last_date(db, "SPY") == date(2026, 7, 10) and last_date(db, "IWM") == date(2026, 7, 10)
    # the 2026-07-13 session is still open at MID_SESSION: reported, never stored as a close
    assert not rows(db, "SELECT * FROM bars WHERE date = DATE '2026-07-13' AND symbol IN ('SPY', 'IWM')")
    spy = next(r for r in report.items if r.item == "SPY")
    assert "held back unfinished session 2026-07-13" in spy.message
    assert spy.rows == 6 and spy.status == "updated"
    # Yahoo re-adjusted its history for the 2026-07-06 dividend: new bars continue the stored closes
    assert "rescaled by" in spy.message
    raw = json.loads(recording("yahoo/SPY_live.json"))["chart"]["result"][0]["indicators"]["quote"][0]
    stored = dict(rows(db, "SELECT date, close FROM bars WHERE symbol = 'SPY' AND date >= '2026-07-01'"))
    assert stored[date(2026, 7, 2)] / stored[date(2026, 7, 1)] == pytest.approx(
        raw["close"][8] / raw["close"][7]
    )
    assert rows(
        db,
        "SELECT DISTINCT source, known_at = date FROM bars WHERE date > '2026-07-01' "
        "AND symbol IN ('SPY', 'IWM')",
    ) == [("live", True)]
    # embedded rows untouched; the store fingerprint moved (analysis ids and panel cache follow the data)
    assert table_digest(db, "bars", "source = 'bundled'") == bundled_before
    assert rows(db, "SELECT string_agg(fingerprint, '+' ORDER BY source) FROM loads")[0][0] != fp_before
    # FRED: new observations only, with publication-lag known_at
    ust = rows(
        db, "SELECT date, value, known_at FROM series WHERE series_id = 'ust_10y' AND date > ?", [ust_before]
    )
    assert ust_before == date(2026, 6, 30)
    assert [r[0] for r in ust] == [date(2026, 7, d) for d in (2, 6, 7, 8, 9, 10)]  # '.' days skipped
    assert all(r[2] > r[0] for r in ust)  # daily rates become known the next business day
    assert rows(db, "SELECT count(*) FROM series WHERE series_id = 'claims' AND source = 'live'")[0][0] == 2
    nfci = next(r for r in report.items if r.item == "NFCI")  # stored up to 2026-07-24, after "now"
    assert (nfci.status, nfci.message) == ("unchanged", "already up to date")
    # SEC, news, iShares
    assert rows(db, "SELECT count(*) FROM fundamentals WHERE symbol = 'AAPL'")[0][0] > 0
    assert rows(db, "SELECT count(*) FROM news")[0][0] > 0
    assert rows(db, "SELECT count(*), min(as_of) FROM holdings WHERE fund = 'IWM'")[0][0] == 6
    statuses = rows(db, "SELECT source, status FROM update_log WHERE item = '*' ORDER BY source")
    assert {s for _, s in statuses} == {"finished"}
    assert "Yahoo Finance: 2 items: 2 updated" in report.summary_lines()[0]


def test_rerun_asks_only_for_what_is_new(replay: LiveReplay, make_settings: MakeSettings) -> None:
    script_yahoo(replay)
    settings = make_settings()
    run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())
    count = table_digest(settings.db, "bars")
    first = len(replay.requests)
    again = run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())
    assert [r.status for r in again.items] == ["unchanged", "unchanged"]
    assert table_digest(settings.db, "bars") == count
    period1 = int(replay.requests[first].query["period1"][0])
    assert datetime.fromtimestamp(period1, UTC).date() == date(2026, 7, 1)  # from the new last date - overlap


FAULTS = {
    "timeout": (Reply(200, b"", delay=1.5), "timed out"),
    "429 Retry-After": (Reply(429, b"slow down", {"Retry-After": "1"}), "HTTP 429"),
    "500s": (Reply(500, b"oops"), "HTTP 500"),
    "truncated body": (Reply(200, recording("yahoo/IWM_live.json"), truncate_to=300), "connection closed"),
    "malformed JSON": (Reply(200, recording("yahoo/IWM_live.json")[:300]), "malformed chart"),
    "empty series": (
        Reply(200, b'{"chart":{"result":[{"meta":{"symbol":"IWM"},"timestamp":[]}]}}'),
        "no daily",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_yahoo_fault_keeps_cached_bars(replay: LiveReplay, make_settings: MakeSettings, fault: str) -> None:
    reply, expected = FAULTS[fault]
    replay.serve(SPY, "yahoo/SPY_live.json")
    replay.script(IWM, reply)
    # the request deadline is total: a Retry-After of 1 s is honoured only when the budget has room for it
    settings = make_settings(http_timeout=3.0) if fault == "429 Retry-After" else make_settings()
    before = table_digest(settings.db, "bars", "symbol = 'IWM'")
    sleeps = Sleeps()
    report = run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=sleeps)
    assert table_digest(settings.db, "bars", "symbol = 'IWM'") == before  # nothing stored was lost
    assert last_date(settings.db, "SPY") == date(2026, 7, 10)  # the other item still updated
    (failed,) = report.failed
    assert failed.item == "IWM" and expected in failed.message
    assert failed.last == date(2026, 7, 1) and failed.stale  # 12 days old at MID_SESSION > stale_days
    assert any("FAILED Yahoo Finance IWM" in line for line in report.summary_lines())
    assert any(
        line.startswith("Now stale") and "IWM (last 2026-07-01)" in line for line in report.summary_lines()
    )
    if fault == "429 Retry-After":
        assert 1.0 in sleeps.calls  # the server's Retry-After was honoured (recorded, not waited)
    logged = rows(settings.db, "SELECT status, message FROM update_log WHERE item = 'IWM'")
    assert logged == [("failed", failed.message)]


@pytest.mark.parametrize(
    ("fault", "body", "expected"),
    [
        ("malformed CSV", b"observation_date,DGS10\n2026-07-02,4.47,extra\n", "line 2 has 3 fields"),
        ("empty series", b"observation_date,DGS10\n", "no observations for DGS10"),
        ("HTML instead of CSV", b"<html>maintenance</html>", "HTML page instead of CSV"),
    ],
)
def test_fred_fault_keeps_cached_series(
    replay: LiveReplay, make_settings: MakeSettings, fault: str, body: bytes, expected: str
) -> None:
    script_all_fred(replay, skip=("DGS10",))
    replay.script("/graph/fredgraph.csv?id=DGS10", Reply(200, body))
    settings = make_settings()
    before = table_digest(settings.db, "series", "series_id = 'ust_10y'")
    report = run_update(settings, ["fred"], now=lambda: MID_SESSION, sleep=Sleeps())
    assert table_digest(settings.db, "series", "series_id = 'ust_10y'") == before
    (failed,) = report.failed
    assert failed.item == "DGS10" and expected in failed.message, failed.message
    assert sum(1 for r in report.items if r.status == "updated") == 9  # the other series still updated


def test_a_failing_source_leaves_the_others_updated(replay: LiveReplay, make_settings: MakeSettings) -> None:
    script_yahoo(replay)
    replay.script("/graph/fredgraph.csv", Reply(503, b"down"))  # every FRED series
    settings = make_settings()
    series_before = table_digest(settings.db, "series")
    report = run_update(
        settings, ["yahoo", "fred"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps()
    )
    assert last_date(settings.db, "SPY") == date(2026, 7, 10)
    assert table_digest(settings.db, "series") == series_before
    fred = [r for r in report.items if r.source == "fred"]
    assert fred[8].item == "NFCI" and fred[8].status == "skipped"
    assert [r.status for r in fred[:3]] == ["failed"] * 3  # then the breaker stops hammering a down host
    assert all(r.status == "skipped" and "not attempted" in r.message for r in fred[3:])
    assert len([p for p in replay.paths() if p.startswith("/graph/")]) == 3 * 2  # 3 series x (1 + 1 retry)
    lines = report.summary_lines()
    assert "FRED: 11 items: 0 updated (0 rows), 0 already up to date, 11 FAILED." in lines, lines
    assert any(line.startswith("FAILED FRED DGS10: FRED is unavailable") for line in lines)
    assert any(line.startswith("Now stale") and "DGS10" in line for line in lines)


def test_sources_not_configured_are_skipped_or_fail_when_asked(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    settings = make_settings(sec_user_agent="", ishares_funds="", french_url="")
    report = run_update(settings, ["sec"], now=lambda: MID_SESSION)
    (failed,) = report.failed
    assert "SEC EDGAR needs a User-Agent with contact details" in failed.message
    script_yahoo(replay)
    script_all_fred(replay)
    quiet = run_update(settings, symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())
    assert quiet.ok
    assert any("SEC EDGAR: skipped" in n for n in quiet.notes) and any(
        "News feeds: skipped" in n for n in quiet.notes
    )


def test_failure_midway_then_rerun_continues(replay: LiveReplay, make_settings: MakeSettings) -> None:
    script_yahoo(replay)
    settings = make_settings()

    def interrupt(result: ItemResult) -> None:
        if result.item == "SPY":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, on_item=interrupt)
    assert last_date(settings.db, "SPY") == date(2026, 7, 10)  # committed before the interruption
    assert last_date(settings.db, "IWM") == date(2026, 7, 1)
    seen = len(replay.requests)
    report = run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())
    assert [(r.item, r.status) for r in report.items] == [("SPY", "resumed"), ("IWM", "updated")]
    assert [r.path for r in replay.requests[seen:]] == [IWM]  # SPY was not asked again
    assert last_date(settings.db, "IWM") == date(2026, 7, 10)


def test_kill_midway_then_rerun_continues(replay: LiveReplay, make_settings: MakeSettings) -> None:
    replay.serve(SPY, "yahoo/SPY_live.json")
    replay.script(
        IWM,
        Reply(200, recording("yahoo/IWM_live.json"), delay=5.0),
        Reply(200, recording("yahoo/IWM_live.json")),
    )
    settings = make_settings()
    env = {
        **os.environ,
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_YAHOO_BASE_URL": replay.url,
        "ROTASCOPE_YAHOO_TRANSPORT": "httpx",
        "ROTASCOPE_YAHOO_THREADS": "1",
        "ROTASCOPE_HTTP_TIMEOUT": "30",
    }
    code = (
        "from rotascope.config import load_settings; from rotascope.live.update import run_update; "
        "run_update(load_settings(), ['yahoo'], symbols=['SPY', 'IWM'])"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(r.path == IWM for r in replay.requests):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the update never reached IWM"
            time.sleep(0.05)
        time.sleep(2.0)  # IWM is fetched ahead while SPY is written: give SPY's commit time (IWM waits 5 s)
        proc.send_signal(signal.SIGKILL)  # mid-way: SPY committed, IWM in flight
    finally:
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert last_date(settings.db, "SPY") is not None and last_date(settings.db, "SPY") > date(2026, 7, 1)
    assert last_date(settings.db, "IWM") == date(2026, 7, 1)
    spy_count = table_digest(settings.db, "bars", "symbol = 'SPY'")
    report = run_update(settings, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=Sleeps())
    assert [(r.item, r.status) for r in report.items] == [("SPY", "resumed"), ("IWM", "updated")]
    assert table_digest(settings.db, "bars", "symbol = 'SPY'") == spy_count
    assert last_date(settings.db, "IWM") == date(2026, 7, 10)


def test_cli_update_prints_the_summary_and_fails_clearly(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    from rotascope.cli import app
    from rotascope.live.command import register

    register(app)
    replay.serve(SPY, "yahoo/SPY_live.json")
    replay.script(IWM, Reply(500, b"oops"))
    settings = make_settings()
    env = {
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_YAHOO_BASE_URL": replay.url,
        "ROTASCOPE_HTTP_RETRIES": "0",
    }
    result = CliRunner().invoke(app, ["update", "--source", "yahoo", "--symbols", "SPY,IWM"], env=env)
    assert result.exit_code == 1
    assert "Yahoo Finance: 2 items: 1 updated" in result.stdout
    assert (
        "FAILED Yahoo Finance IWM: Yahoo Finance is unavailable for IWM after 1 attempt: HTTP 500"
        in result.stdout
    )
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: 1 item(s) failed to update; their cached data was kept (see above)."
    )
    bad = CliRunner().invoke(app, ["update", "--source", "bloomberg"], env=env)
    assert bad.exit_code == 1 and "Unknown source(s) bloomberg" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    since = CliRunner().invoke(app, ["update", "--since", "2026-13-01"], env=env)
    assert since.exit_code == 1 and "--since must be a date like" in since.stderr


def spy_served(replay: LiveReplay) -> typer.Typer:
    """The CLI with `update` registered, and the fake server serving SPY's recorded chart."""
    from rotascope.cli import app
    from rotascope.live.command import register

    register(app)
    replay.serve(SPY, "yahoo/SPY_live.json")
    return app


def cli_env(settings: Settings, replay: LiveReplay, today: str) -> dict[str, str]:
    """The CLI's environment: the store copy, Yahoo (plain HTTP) at the fake server, no retries, today."""
    return {
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_YAHOO_BASE_URL": replay.url,
        "ROTASCOPE_YAHOO_TRANSPORT": "httpx",
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_TODAY": today,
    }


def test_update_reads_today_from_the_clock(replay: LiveReplay, make_settings: MakeSettings) -> None:
    """`update` reads today from ROTASCOPE_TODAY, as every age does: pinned to Thursday 2026-07-09 (a day
    that has not traded yet), --since 2026-07-10 is in the future, and SPY's closes are stored up to
    2026-07-08 although the server has bars up to 2026-07-13 (the real today would take them all)."""
    app = spy_served(replay)
    settings = make_settings()
    env = cli_env(settings, replay, "2026-07-09")
    future = CliRunner().invoke(app, ["update", "--since", "2026-07-10"], env=env)
    assert future.exit_code == 1
    assert "--since 2026-07-10 is in the future (today is 2026-07-09)." in future.stderr
    assert not replay.requests  # refused before asking anything
    result = CliRunner().invoke(app, ["update", "--source", "yahoo", "--symbols", "SPY"], env=env)
    assert result.exit_code == 0, result.output
    assert last_date(settings.db, "SPY") == date(2026, 7, 8)
    # the recording's sessions after the stored 2026-07-01 up to the pinned today's eve: 07-02, 07-06..07-08
    stamps = json.loads(recording("yahoo/SPY_live.json"))["chart"]["result"][0]["timestamp"]
    days = [datetime.fromtimestamp(t, tz=UTC).date() for t in stamps]
    new = [d for d in days if date(2026, 7, 1) < d < date(2026, 7, 9)]
    assert len(new) == 4 and f"1 updated ({len(new)} rows)" in result.stdout


def test_after_updating_only_spy_analyze_stays_on_the_last_complete_session(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    """A real `update` of SPY alone (the recording runs to 2026-07-13), then `analyze`: the answer stays on
    2026-07-01, the last session IWM and the other inputs share, and says SPY is ahead and IWM held back."""
    app = spy_served(replay)
    settings = make_settings()
    env = cli_env(settings, replay, "2026-12-07")
    runner = CliRunner()
    updated = runner.invoke(app, ["update", "--source", "yahoo", "--symbols", "SPY"], env=env)
    assert updated.exit_code == 0, updated.output
    spy_last = last_date(settings.db, "SPY")
    assert spy_last is not None and spy_last > date(2026, 7, 1) == last_date(settings.db, "IWM")
    text = runner.invoke(app, ["analyze", "--no-save"], env=env)
    assert text.exit_code == 0, text.output
    first, second, *_ = text.stdout.splitlines()
    assert first.startswith("STALE DATA: the last complete session is 2026-07-01,")
    assert f"SPY (to {spy_last})" in second and "IWM" in second.split("but ")[1] and "held back" in second
    got = json.loads(runner.invoke(app, ["analyze", "--no-save", "-f", "json"], env=env).stdout)
    assert got["as_of"] == "2026-07-01" == got["data_as_of"]
    assert f"SPY (to {spy_last})" in got["complete_note"]
    iwm_spy = [c for o in got["opinions"] for c in o["claims"] if "IWM/SPY" in c["text"]]
    assert iwm_spy and not any("n/a" in c["text"] for c in iwm_spy)  # IWM/SPY read on a day both exist
