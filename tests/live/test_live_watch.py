"""`rotascope watch`: comparing analyses into alerts, delivering them (stdout, alerts.log, webhook), and
the loop itself (two iterations against the replay server, on a copy of the real store)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from live_replay import MID_SESSION, LiveReplay, MakeSettings, Reply
from rich.console import Console
from typer.testing import CliRunner

from rotascope.agents import universe_analysis
from rotascope.cli import app
from rotascope.config import Settings, config_hash
from rotascope.errors import ConfigError
from rotascope.live.update import UpdateReport, run_update
from rotascope.live.watch import compare, parse_interval, post_webhook, run_watch
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis
from rotascope.store.analyses import save_analysis
from rotascope.store.db import open_store

DEAD_URLS = ("yahoo_base_url", "fred_base_url", "fred_api_base_url", "sec_base_url", "ishares_base_url")
"""Every live source pointed at a closed local port: the machine is offline as far as `watch` knows."""


@pytest.fixture(scope="session")
def analysis(monitor: Monitor, loaded_settings: Settings) -> Analysis:
    """The real universe analysis on the embedded data (latest date)."""
    return universe_analysis(monitor, monitor.at(None), config_hash(loaded_settings))


def variant(a: Analysis, ident: str, **changes: Any) -> Analysis:
    return a.model_copy(update={"id": ident, **changes})


def with_invalidation(a: Analysis, key: str, breached: bool | None) -> Analysis:
    risk = a.decision.risk
    assert risk is not None
    levels = [i.model_copy(update={"breached": breached}) if i.key == key else i for i in risk.invalidation]
    risk = risk.model_copy(update={"invalidation": levels})
    return a.model_copy(update={"decision": a.decision.model_copy(update={"risk": risk})})


def test_no_change_no_alert(analysis: Analysis) -> None:
    assert compare(analysis, variant(analysis, "other")) == []


def test_ladder_flip_killer_and_invalidation_alerts(analysis: Analysis) -> None:
    reached = analysis.ladder_reached or 0
    prev = variant(analysis, "prev", ladder_reached=reached + 1, killers_triggered=["credit"])
    prev = with_invalidation(prev, "hy_oas", False)
    cur = with_invalidation(variant(analysis, "cur"), "hy_oas", True)
    alerts = compare(prev, cur)
    kinds = [(a.kind, a.key) for a in alerts]
    assert ("ladder", "ladder_reached") in kinds and ("invalidation", "hy_oas") in kinds
    assert ("killer_cleared", "credit") in kinds
    for key in cur.killers_triggered:
        assert ("killer", key) in kinds
    ladder = next(a for a in alerts if a.kind == "ladder")
    assert (
        ladder.message
        == f"Evidence ladder moved down from level {reached + 1} to level {reached} (as of {cur.as_of})."
    )
    hit = next(a for a in alerts if a.kind == "invalidation")
    assert hit.message.startswith("Invalidation level hit: High-yield credit spread: now ")
    assert hit.previous_id == "prev" and hit.analysis_id == "cur"
    json.dumps([a.to_dict() for a in alerts])  # JSON-ready


def test_missing_invalidation_records_are_handled(analysis: Analysis) -> None:
    assert analysis.decision.risk is not None
    bare = analysis.decision.model_copy(update={"risk": None})
    odd = analysis.decision.model_copy(
        update={"risk": analysis.decision.risk.model_copy(update={"invalidation": []})}
    )
    a = variant(analysis, "a", decision=bare)
    b = variant(analysis, "b", decision=odd)
    assert compare(a, b) == [] and compare(b, analysis) == []
    assert [x.kind for x in compare(a, with_invalidation(analysis, "iwm_spy", True))] == ["invalidation"]


def test_parse_interval() -> None:
    assert [parse_interval(x) for x in ("1d", "6h", "30m", "0.5s")] == [86400, 21600, 1800, 0.5]
    for bad in ("", "5", "1w", "-1h", "0m"):
        with pytest.raises(ConfigError, match="--every must look like 1d, 6h, 30m or 10s"):
            parse_interval(bad)


def test_webhook_retries_once_and_never_raises(replay: LiveReplay) -> None:
    replay.script("/hook", Reply(500, b"busy"), Reply(200, b"ok"))
    assert post_webhook(f"{replay.url}/hook", {"alerts": [1]}, timeout=1.0) is None
    posts = [r for r in replay.requests if r.method == "POST"]
    assert len(posts) == 2 and json.loads(posts[1].body) == {"alerts": [1]}
    assert posts[1].headers["content-type"] == "application/json"
    replay.script("/down", Reply(503, b""))
    assert post_webhook(f"{replay.url}/down", {}, timeout=1.0) == (
        "The alert webhook could not be delivered after 2 attempts (HTTP 503)."
    )
    refused = post_webhook("http://127.0.0.1:9/hook", {}, timeout=0.5)
    assert refused is not None and refused.startswith("The alert webhook could not be delivered")


def test_webhook_counts_any_2xx_and_never_reposts_after_a_large_200(replay: LiveReplay) -> None:
    replay.script("/big", Reply(200, b"x" * 1_000_000))  # a relay that echoes a big page
    replay.script("/empty", Reply(204, b""))
    assert post_webhook(f"{replay.url}/big", {"alerts": [1]}, timeout=2.0) is None
    assert post_webhook(f"{replay.url}/empty", {"alerts": [2]}, timeout=2.0) is None
    posts = [r.path for r in replay.requests if r.method == "POST"]
    assert posts == ["/big", "/empty"]  # one POST each: delivered, not re-sent


def test_watch_two_iterations_alerts_once_to_log_and_webhook(
    replay: LiveReplay, make_settings: MakeSettings, analysis: Analysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay.serve("/v8/finance/chart/SPY", "yahoo/SPY_live.json")
    replay.serve("/v8/finance/chart/IWM", "yahoo/IWM_live.json")
    replay.script("/hook", Reply(200, b"ok"))
    monkeypatch.setenv("ROTASCOPE_TODAY", "2026-07-13")  # the data is 12 days old: fresh under 30
    settings = make_settings(webhook_url=f"{replay.url}/hook", stale_days=30)
    # a previous stored analysis whose ladder level differs: the first iteration must flag the flip
    previous = variant(analysis, "00000000000bef0e", ladder_reached=(analysis.ladder_reached or 0) + 1)
    store = open_store(settings, write=True)
    try:
        save_analysis(store, previous)
    finally:
        store.close()

    def update(s: Settings) -> UpdateReport:
        return run_update(s, ["yahoo"], symbols=["SPY", "IWM"], now=lambda: MID_SESSION, sleep=lambda _: None)

    sleeps: list[float] = []
    console = Console(record=True, width=200)
    results = run_watch(settings, "0.01s", 2, console=console, sleep=sleeps.append, update=update)

    assert len(results) == 2 and sleeps == [0.01]
    first, second = results
    assert first.update is not None and first.update.rows == 12  # six new sessions each for SPY and IWM
    # SPY and IWM run to 2026-07-10, but RSP, the sector SPDRs and VIX end 2026-07-01: the analysis stays
    # on the last session with every ladder input, and says why
    assert first.analysis.as_of == date(2026, 7, 1) and first.previous_id == "00000000000bef0e"
    assert any("SPY (to 2026-07-10)" in n and "IWM (to 2026-07-10)" in n and "RSP" in n for n in first.notes)
    assert any(a.kind == "ladder" for a in first.alerts) and first.webhook_error is None
    assert second.alerts == [] and second.analysis.id == first.analysis.id  # nothing new: no repeat alert
    posts = [r for r in replay.requests if r.method == "POST"]
    assert len(posts) == 1
    payload = json.loads(posts[0].body)
    assert payload["analysis_id"] == first.analysis.id and payload["as_of"] == "2026-07-01"
    assert {a["kind"] for a in payload["alerts"]} >= {"ladder"}
    logged = [json.loads(line) for line in (settings.home / "alerts.log").read_text().splitlines()]
    assert logged == payload["alerts"]
    text = console.export_text()
    assert "ALERT Evidence ladder moved" in text and "No alerts." in text
    assert "Data: the last complete session is 2026-07-01, 12 days before today (2026-07-13)." in text


def test_watch_survives_a_failing_update_and_a_dead_webhook(
    replay: LiveReplay, make_settings: MakeSettings, analysis: Analysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROTASCOPE_TODAY", "2026-12-07")
    replay.script("/v8/finance/chart/SPY", Reply(500, b"down"))
    settings = make_settings(webhook_url="http://127.0.0.1:9/hook", http_retries=0)
    store = open_store(settings, write=True)
    try:
        previous = variant(
            analysis, "00000000000bef0e", killers_triggered=[*analysis.killers_triggered, "made_up"]
        )
        save_analysis(store, previous)
    finally:
        store.close()

    def update(s: Settings) -> UpdateReport:
        return run_update(s, ["yahoo"], symbols=["SPY"], now=lambda: MID_SESSION, sleep=lambda _: None)

    console = Console(record=True, width=200)
    (result,) = run_watch(settings, "1s", 1, console=console, sleep=lambda _: None, update=update)
    assert result.update is not None and not result.update.ok  # reported, and the analysis still ran
    assert result.analysis.as_of == date(2026, 7, 1)
    # nothing refreshed and data 159 days old: both said as 'data' alerts (the command exits non-zero)
    assert [(a.kind, a.key) for a in result.alerts] == [
        ("killer_cleared", "made_up"),
        ("data", "not_refreshed"),
        ("data", "stale"),
    ]
    assert [a.key for a in result.data_problems] == ["not_refreshed", "stale"]
    assert result.webhook_error is not None and "could not be delivered" in result.webhook_error
    text = console.export_text()
    assert "[watch 1/1]" in text and "FAILED Yahoo Finance SPY" in text


def test_watch_offline_exits_non_zero_and_says_why(store_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`watch --iterations 1` with every source unreachable: an alert, the reason, and exit code 1."""
    dead = "http://127.0.0.1:9"
    env = {
        "ROTASCOPE_HOME": str(store_copy),
        "ROTASCOPE_TODAY": "2026-12-07",
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_HTTP_TIMEOUT": "0.5",
        **{f"ROTASCOPE_{name.upper()}": dead for name in DEAD_URLS},
    }
    for key in [k for k in os.environ if k.startswith("ROTASCOPE_")]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(app, ["watch", "--iterations", "1"], env=env)
    assert result.exit_code == 1, result.output
    assert "ALERT No source could be refreshed" in result.stdout
    assert "STALE DATA: the last complete session is 2026-07-01, 159 days before today" in result.stdout
    assert (
        "Error: No source could be refreshed" in result.stderr and "stale_days limit of 10" in result.stderr
    )
    logged = [json.loads(line) for line in (store_copy / "alerts.log").read_text().splitlines()]
    assert {(a["kind"], a["key"]) for a in logged} == {("data", "not_refreshed"), ("data", "stale")}
