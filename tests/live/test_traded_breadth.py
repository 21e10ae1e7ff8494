"""Traded-price breadth: a live Yahoo update (local replay of the chart JSON) stores the unadjusted close
beside the adjusted one; breadth counts traded closes where they exist, says so with the coverage, and
measures the adjustment effect; stores made before schema 2 are migrated on the next write."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from live_replay import MID_SESSION, LiveReplay, MakeSettings, Reply, recording

from rotascope.live.update import run_update
from rotascope.monitor.run import build_monitor
from rotascope.store.db import open_store
from rotascope.store.schema import SCHEMA_VERSION

AS_OF = date(2026, 7, 1)
FIRST = date(2026, 6, 22)
EX_DATE = date(2026, 6, 26)
DIVIDEND = 0.01
"""Illustrative dividend of 1 % of the price: traded closes before the ex-date are adjusted / (1 - 0.01)."""


def _members(db: Path, n: int = 4) -> list[str]:
    """Russell 2000 members on the latest stored list, priced on every session FIRST..AS_OF (no dots)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT m.symbol FROM membership m JOIN bars b USING (symbol) WHERE m.universe = 'R2000' "
            "AND m.date = (SELECT max(date) FROM membership WHERE universe = 'R2000') "
            "AND b.date BETWEEN ? AND ? AND m.symbol NOT LIKE '%.%' "
            "GROUP BY m.symbol HAVING count(*) = 8 ORDER BY m.symbol LIMIT ?",
            [FIRST, AS_OF, n],
        ).fetchall()
    return [r[0] for r in rows]


def _chart(symbol: str, dates: list[date], adjusted: list[float]) -> tuple[bytes, list[float]]:
    """Yahoo's chart JSON (the recorded SPY reply as the template) for ``symbol``: adjclose = the stored
    closes, quote = the traded closes (higher by the dividend before the ex-date)."""
    body = json.loads(recording("yahoo/SPY_live.json"))
    res = body["chart"]["result"][0]
    traded = [a / (1 - DIVIDEND) if d < EX_DATE else a for d, a in zip(dates, adjusted, strict=True)]
    res["meta"].update(symbol=symbol, instrumentType="EQUITY")
    res["timestamp"] = [int(datetime(d.year, d.month, d.day, 13, 30, tzinfo=UTC).timestamp()) for d in dates]
    res["indicators"] = {
        "quote": [
            {"open": traded, "high": traded, "low": traded, "close": traded, "volume": [1000] * len(dates)}
        ],
        "adjclose": [{"adjclose": adjusted}],
    }
    ex = int(datetime(EX_DATE.year, EX_DATE.month, EX_DATE.day, 13, 30, tzinfo=UTC).timestamp())
    before = traded[dates.index(EX_DATE) - 1]
    res["events"] = {"dividends": {str(ex): {"amount": round(before * DIVIDEND, 4), "date": ex}}}
    return json.dumps(body).encode(), traded


def test_live_traded_closes_feed_breadth(replay: LiveReplay, make_settings: MakeSettings) -> None:
    settings = make_settings()
    db = settings.db
    members = _members(db)
    assert len(members) == 4
    served: dict[str, pd.Series] = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for sym in members:
            got = conn.execute(
                "SELECT date, close FROM bars WHERE symbol = ? AND date BETWEEN ? AND ? ORDER BY date",
                [sym, FIRST, AS_OF],
            ).fetchall()
            dates, closes = [r[0] for r in got], [float(r[1]) for r in got]
            body, traded = _chart(sym, dates, closes)
            replay.script(f"/v8/finance/chart/{sym}", Reply(200, body, {"Content-Type": "application/json"}))
            served[sym] = pd.Series(traded, index=pd.DatetimeIndex(dates))

    report = run_update(settings, ["yahoo"], since=FIRST, symbols=members, now=lambda: MID_SESSION)
    assert report.ok, report.summary_lines()

    with duckdb.connect(str(db), read_only=True) as conn:
        stored = conn.execute(
            "SELECT symbol, date, close_traded FROM bars WHERE close_traded IS NOT NULL ORDER BY symbol, date"
        ).fetchall()
        bundled_traded = conn.execute(
            "SELECT count(*) FROM bars WHERE source = 'bundled' AND close_traded IS NOT NULL"
        ).fetchall()[0][0]
    assert len(stored) == 4 * 8 and bundled_traded == 0
    for sym, day, value in stored:
        assert value == served[sym][pd.Timestamp(day)]  # the traded close, not rescaled

    store = open_store(settings)
    try:
        monitor = build_monitor(store, settings)
    finally:
        store.close()
    r2000 = next(b for b in monitor.at(AS_OF).snapshot.breadth if b.universe == "R2000")
    assert r2000.membership == "point_in_time" and r2000.price == "mixed"
    assert r2000.traded_members == 4
    assert r2000.traded_coverage == round(4 / r2000.members_with_data, 6)
    assert "traded (unadjusted) closes for 4 of" in r2000.caveat
    sp500 = next(b for b in monitor.at(AS_OF).snapshot.breadth if b.universe == "SP500")
    assert sp500.price == "adjusted" and not sp500.traded_members  # none is on the S&P 500 list in force

    # independently: the closes breadth counts, and the adjustment effect on the four members
    pit = monitor.panel.data.pit["R2000"]
    t = int(np.searchsorted(monitor.panel.calendar, np.datetime64(AS_OF), side="right")) - 1
    above = {50: 0, 200: 0}
    cal = pd.DatetimeIndex(monitor.panel.calendar)
    for sym in members:
        j = pit.close.symbols.index(sym)
        with duckdb.connect(str(db), read_only=True) as conn:
            frame = conn.execute("SELECT date, close FROM bars WHERE symbol = ?", [sym]).df()
        adjusted = frame.set_index(pd.DatetimeIndex(frame["date"]))["close"].reindex(cal)
        join = served[sym].iloc[0] / adjusted[served[sym].index[0]]
        expected = (adjusted * join).where(adjusted.index < served[sym].index[0], served[sym].reindex(cal))
        used = pd.Series(pit.close.values[:, j], index=cal)
        np.testing.assert_allclose(used.iloc[: t + 1].dropna(), expected.iloc[: t + 1].dropna(), rtol=1e-12)
        for w in above:
            above[w] += int(used.iloc[t] > used.iloc[t - w + 1 : t + 1].mean())
            above[w] -= int(adjusted.iloc[t] > adjusted.iloc[t - w + 1 : t + 1].mean())
    for w, field in ((50, r2000.traded_minus_adjusted_50), (200, r2000.traded_minus_adjusted_200)):
        assert field == round(above[w] / r2000.members_with_data, 6)
    print(
        f"\nadjustment effect on the 4 replayed members at {AS_OF}: {above} members; "
        f"{r2000.traded_minus_adjusted_50} / {r2000.traded_minus_adjusted_200} of {r2000.members_with_data}"
    )


def test_a_schema_1_store_is_read_as_is_and_migrated_on_write(store_copy: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(store_copy / "rotascope.duckdb", old / "rotascope.duckdb")
    db = old / "rotascope.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute("ALTER TABLE bars DROP COLUMN close_traded")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        n_bars = conn.execute("SELECT count(*) FROM bars").fetchall()[0][0]
    from rotascope.config import load_settings

    settings = load_settings({"home": str(old)}, env={})
    store = open_store(settings)  # read-only: no migration, the column reads as absent
    try:
        assert store.traded_close_panel(["SPY", "IWM"]) is None
    finally:
        store.close()
    store = open_store(settings, write=True)
    store.close()
    with duckdb.connect(str(db), read_only=True) as conn:
        cols = [r[0] for r in conn.execute("DESCRIBE bars").fetchall()]
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()[0][0]
        assert conn.execute("SELECT count(*) FROM bars").fetchall()[0][0] == n_bars
        assert conn.execute("SELECT count(*) FROM bars WHERE close_traded IS NOT NULL").fetchall()[0][0] == 0
    assert "close_traded" in cols and version == str(SCHEMA_VERSION) == "2"
