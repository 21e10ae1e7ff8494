"""The optional Polygon.io bulk source through `update` (a week of member bars in six requests, chained and
cleaned), `update --check`, feed-URL redaction in the update log, and the honest source label."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from live_replay import LiveReplay, MakeSettings, Reply, grouped_daily, member_closes, recording
from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.live.check import check_sources
from rotascope.live.command import register
from rotascope.live.update import run_update
from rotascope.monitor.data import _source_label
from rotascope.providers.polygon import grouped_path

KEY = "pk_live_5ecret_never_shown"
ANCHOR = date(2026, 7, 31)  # the members' last stored session in the embedded data
WEEK = [date(2026, 8, 3) + timedelta(days=i) for i in range(5)]
NOW = datetime(2026, 8, 8, 12, tzinfo=UTC)  # Saturday: the whole week has closed


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_week_of_member_bars_in_six_requests(replay: LiveReplay, make_settings: MakeSettings) -> None:
    settings = make_settings(polygon_api_key=KEY, polygon_base_url=replay.url)
    stored = member_closes(settings.db, ANCHOR)
    assert len(stored) > 2500
    # the bulk source's closes are traded prices: 2 % above the stored adjusted closes on the anchor
    raw = {s: round(c * 1.02, 4) for s, c in stored.items()}
    replay.script(grouped_path(ANCHOR), Reply(200, grouped_daily(ANCHOR, {**raw, "NOTAMEMBER": 5.0})))
    kept, newest = [s for s in sorted(stored) if s not in ("AAPL", "A", "AA")][:2]  # two more members
    for i, day in enumerate(WEEK):
        closes = {s: round(c * (1 + 0.001 * (i + 1)), 4) for s, c in raw.items()}
        if i == 2:
            closes["AAPL"] = -5.0  # a bad row: dropped and listed, the rest of the day is stored
        if i == 3:
            closes["AA"] *= 10  # a 10x jump the next day undoes: a one-day spike, dropped and listed
        if i >= 1:
            closes[kept] *= 10  # a 10x jump that holds the next days: a real move, stored as `init` would
        if i == 4:
            closes[newest] *= 10  # a 10x jump on the batch's last day: not confirmed yet, held back
        replay.script(grouped_path(day), Reply(200, grouped_daily(day, closes)))
    report = run_update(settings, ["polygon"], now=lambda: NOW, sleep=lambda _: None)
    assert [r.item for r in report.items] == [d.isoformat() for d in WEEK]
    assert all(r.status == "updated" for r in report.items)
    assert len(replay.requests) == 6  # five days and the anchor, for every member at once
    assert all(r.query["apiKey"] == [KEY] for r in replay.requests)
    summary = "\n".join(report.summary_lines())
    assert KEY not in summary and "Cleaned on the way in" in summary and "non-positive price" in summary
    assert not report.ok  # a value had to be cleaned: `update` exits 1
    db = settings.db
    got = dict(_rows(db, f"SELECT symbol, close FROM bars WHERE date = '{WEEK[0]}' AND source = 'live'"))
    assert len(got) == len(stored) and "NOTAMEMBER" not in got
    # chained onto the stored adjusted closes: the first new close continues the anchor by +0.1 %
    for symbol in ("AAPL", "A", "AA"):
        if symbol in stored:
            assert abs(float(got[symbol]) / stored[symbol] - 1.001) < 1e-4  # type: ignore[arg-type]
    assert _rows(db, f"SELECT count(*) FROM bars WHERE symbol = 'AAPL' AND date = '{WEEK[2]}'") == [(0,)]
    flags = _rows(db, "SELECT symbol, date, reason FROM quality_flags WHERE source = 'Polygon.io'")
    assert ("AAPL", WEEK[2], "non-positive price") in flags
    assert _rows(db, f"SELECT count(*) FROM bars WHERE symbol = 'AA' AND date = '{WEEK[3]}'") == [(0,)]
    assert ("AA", WEEK[3], "one-day spike that reverses next day") in flags  # init's rule and words
    assert _rows(db, f"SELECT count(*) FROM bars WHERE symbol = 'AA' AND date = '{WEEK[4]}'") == [(1,)]
    moved = _rows(
        db, f"SELECT date, close FROM bars WHERE symbol = '{kept}' AND date > '{ANCHOR}' ORDER BY 1"
    )
    assert [d for d, _ in moved] == WEEK  # the lasting jump is stored, from its first day on
    assert abs(float(moved[1][1]) / float(moved[0][1]) / 10 - 1.002 / 1.001) < 1e-4  # type: ignore[arg-type]
    assert not [r for r in flags if r[0] == kept]
    assert _rows(db, f"SELECT count(*) FROM bars WHERE symbol = '{newest}' AND date = '{WEEK[4]}'") == [(0,)]
    assert [r for r in flags if r[0] == newest and r[1] == WEEK[4] and "not confirmed" in str(r[2])]
    logged = " ".join(str(m) for (m,) in _rows(db, "SELECT message FROM update_log"))
    assert KEY not in logged


def test_without_a_key_the_bulk_source_is_not_asked(make_settings: MakeSettings) -> None:
    named = run_update(make_settings(), ["polygon"], now=lambda: NOW)  # named: fails, in one sentence
    (item,) = named.items
    assert item.status == "failed" and "no key: set polygon_api_key (or env POLYGON_API_KEY)" in item.message


def test_check_asks_each_source_once_and_writes_nothing(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    replay.serve("/v8/finance/chart/SPY", "yahoo/SPY_live.json")
    replay.script(grouped_path(date(2026, 7, 10)), Reply(429, b'{"status":"ERROR","error":"slow down"}'))
    replay.serve("/graph/fredgraph.csv?id=DGS10", "fred/DGS10_live.csv")
    settings = make_settings(polygon_api_key=KEY, polygon_base_url=replay.url, http_retries=0)
    before = settings.db.stat().st_mtime_ns
    rows = {r.source: r for r in check_sources(settings, now=lambda: datetime(2026, 7, 13, 16, tzinfo=UTC))}
    assert settings.db.stat().st_mtime_ns == before
    assert rows["Yahoo Finance"].status == "ok" and rows["FRED"].status == "ok"
    assert rows["Polygon.io"].status == "blocked 429"
    assert rows["Polygon.io"].endpoint.endswith("/2026-07-10?***") and KEY not in rows["Polygon.io"].sentence
    assert rows["SEC EDGAR"].status == "unreachable" or rows["SEC EDGAR"].status == "bad reply"
    assert rows["News feeds"].status == "off" and not rows["News feeds"].configured
    assert all(r.latency_ms is None or r.latency_ms >= 0 for r in rows.values())


def test_check_cli_exit_code_follows_the_configured_sources(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    register(app)
    replay.serve("/v8/finance/chart/SPY", "yahoo/SPY_live.json")
    replay.serve("/graph/fredgraph.csv?id=DGS10", "fred/DGS10_live.csv")
    settings = make_settings()
    env = {
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_YAHOO_BASE_URL": replay.url,
        "ROTASCOPE_YAHOO_TRANSPORT": "httpx",
        "ROTASCOPE_FRED_BASE_URL": replay.url,
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_ISHARES_FUNDS": "",
        "POLYGON_API_KEY": "",
    }
    result = CliRunner().invoke(app, ["update", "--check"], env=env)
    assert result.exit_code == 0, result.stdout
    assert "All 2 configured sources answered." in result.stdout
    assert "Polygon.io is off (optional)" in result.stdout
    env["ROTASCOPE_FRED_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    result = CliRunner().invoke(app, ["update", "--check"], env=env)
    assert result.exit_code == 1 and "unreachable" in result.stdout


def test_feed_tokens_never_reach_the_log_or_the_summary(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    secret = "tok_9f8e7d6c5b4a"
    replay.script("/feed.xml", Reply(200, recording("news/markets_rss.xml")))
    feed = f"{replay.url}/feed.xml?token={secret}&sig=abc123def"
    settings = make_settings(news_feeds=feed)
    report = run_update(settings, ["news"], now=lambda: NOW, sleep=lambda _: None)
    shown = "\n".join(report.summary_lines()) + " ".join(r.item for r in report.items)
    assert secret not in shown and "abc123def" not in shown and "token=***" in shown
    logged = _rows(settings.db, "SELECT item, message FROM update_log WHERE source = 'news'")
    assert logged and not [r for r in logged if secret in str(r) or "abc123def" in str(r)]


def test_a_feed_cannot_backdate_its_headlines(replay: LiveReplay, make_settings: MakeSettings) -> None:
    """A real update of a feed whose pubDates are months before the fetch: every stored headline is known
    from the fetch on (the later of its pubDate and the first sighting), so no past analysis can read it."""
    replay.script("/feed.xml", Reply(200, recording("news/markets_rss.xml")))
    settings = make_settings(news_feeds=f"{replay.url}/feed.xml")
    report = run_update(settings, ["news"], now=lambda: NOW, sleep=lambda _: None)
    assert report.ok, report.summary_lines()
    stored = _rows(settings.db, "SELECT published, known_at FROM news")
    fetched = NOW.replace(tzinfo=None)
    assert sum(published < fetched for published, _ in stored) >= 2  # the feed dates these in 2025
    assert all(known_at >= max(published, fetched) for published, known_at in stored)


def test_the_source_label_says_live_only_for_update_loads() -> None:
    assert _source_label("bundled:0123456789abcdef+bundled_headlines:0123456789abcdef") == "bundled"
    assert _source_label("bundled:0123456789abcdef+live:0123456789abcdef") == "bundled+live"
