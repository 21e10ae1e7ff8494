"""The default as-of is the last complete session: a source that runs ahead (SPY updated, IWM and the rest
not) never moves the answer onto a date where an input the ladder reads is missing, and the answer says
which input is ahead and which held it back. Every output starts with the data's age (fixed "today")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.config import Settings, load_settings
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.store.db import open_store
from rotascope.store.live import ensure_live_schema, item_transaction, upsert_bars
from storecopy import private_home

TODAY = {"ROTASCOPE_TODAY": "2026-12-07"}
AHEAD = ("2026-07-02", "2026-07-06", "2026-07-07")
"""Sessions after the embedded data's last one (2026-07-01); 2026-07-03 is the Independence Day holiday."""


@pytest.fixture(scope="module")
def spy_ahead(loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the store where only SPY has bars after 2026-07-01."""
    home = private_home(loaded_settings, tmp_path_factory.mktemp("spy-ahead"))
    settings = load_settings({"home": str(home)}, env={})
    store = open_store(settings, write=True)
    try:
        ensure_live_schema(store)
        last = float(store.close_panel(["SPY"]).column("SPY")[-1])
        bars = pd.DataFrame(
            {
                "symbol": "SPY",
                "date": pd.to_datetime(list(AHEAD)),
                "open": last,
                "high": last * 1.01,
                "low": last * 0.99,
                "close": [last * 1.002, last * 1.004, last * 1.001],
                "volume": 1_000_000,
            }
        )
        with item_transaction(store) as conn:
            upsert_bars(conn, bars)
    finally:
        store.close()
    return settings


def test_the_embedded_data_is_complete_on_its_last_session(monitor: Monitor) -> None:
    complete = monitor.complete
    assert complete.complete and complete.last == date(2026, 7, 1) == complete.latest
    assert complete.note() is None and monitor.day(None) == date(2026, 7, 1)


def test_spy_ahead_keeps_the_last_complete_session_and_names_spy(spy_ahead: Settings) -> None:
    store = open_store(spy_ahead)
    try:
        monitor = build_monitor(store, spy_ahead)
    finally:
        store.close()
    assert monitor.panel.calendar[-1] == pd.Timestamp(AHEAD[-1]).to_datetime64()  # SPY runs ahead
    complete = monitor.complete
    assert complete.last == date(2026, 7, 1) and complete.latest == date(2026, 7, 7)
    assert complete.ahead[0] == "SPY (to 2026-07-07)"  # KRE and the members run to July's end too
    assert {"IWM", "RSP", "VIX"} <= set(complete.held_back)
    assert "SPY" not in complete.held_back and "Russell 2000 member closes" not in complete.held_back
    assert monitor.day(None) == date(2026, 7, 1)
    assert monitor.day(date(2026, 7, 6)) == date(2026, 7, 1)  # never a session where IWM is missing
    assert monitor.day(date(2024, 7, 19)) == date(2024, 7, 19)  # earlier dates are untouched
    with pytest.raises(Exception, match="after the last stored date"):
        monitor.day(date(2026, 7, 8))


def test_analyze_stays_on_the_complete_session_and_says_spy_is_ahead(spy_ahead: Settings) -> None:
    runner = CliRunner()
    home = ["--home", str(spy_ahead.home)]
    table = runner.invoke(app, [*home, "analyze", "--no-save"], env=TODAY)
    assert table.exit_code == 0, table.output
    first, second, *_ = table.stdout.splitlines()
    assert first.startswith("STALE DATA: the last complete session is 2026-07-01, 159 days before today")
    assert "`rotascope update`" in first
    assert "SPY (to 2026-07-07)" in second and "are ahead, but IWM" in second and "held back" in second
    js = runner.invoke(app, [*home, "analyze", "--no-save", "-f", "json"], env=TODAY)
    assert js.exit_code == 0, js.output
    got = json.loads(js.stdout)
    assert got["as_of"] == "2026-07-01" and got["data_as_of"] == "2026-07-01"
    assert got["data_age_days"] == 159 and got["stale"] is True and got["stale_days"] == 10
    assert "SPY (to 2026-07-07)" in got["complete_note"]


def test_fresh_data_says_its_age_without_the_stale_warning(spy_ahead: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(spy_ahead.home), "monitor", "-f", "json"], env={"ROTASCOPE_TODAY": "2026-07-03"}
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["as_of"] == "2026-07-01" and got["data_age_days"] == 2 and got["stale"] is False
