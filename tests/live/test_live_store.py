"""The live tables and upserts: idempotent DDL, per-item transactions, revisions known when fetched,
headlines filtered by when they became known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from live_replay import table_digest

from rotascope.config import load_settings
from rotascope.store.db import Store, open_store
from rotascope.store.live import (
    LIVE_SOURCE,
    NewsRow,
    ensure_live_schema,
    insert_news,
    item_transaction,
    load_headlines,
    upsert_bars,
    upsert_series,
)


def _open(home: Path) -> Store:
    store = open_store(load_settings({"home": str(home)}, env={}), write=True)
    ensure_live_schema(store)
    return store


def _fingerprint(store: Store) -> str:
    return str(store.fingerprint())


def test_schema_is_idempotent_and_leaves_existing_tables(store_copy: Path) -> None:
    db = store_copy / "rotascope.duckdb"
    before = table_digest(db, "bars")
    store = _open(store_copy)
    try:
        ensure_live_schema(store)
        tables = {
            r[0] for r in store.conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    finally:
        store.close()
    assert {"fundamentals", "news", "holdings", "update_log", "narrations"} <= tables
    assert table_digest(db, "bars") == before


def _bars(day: date, close: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["SPY"],
            "date": [pd.Timestamp(day)],
            "open": [close],
            "high": [close],
            "low": [close],
            "close": [close],
            "volume": pd.array([1], dtype="Int64"),
        }
    )


def test_bars_upsert_replaces_by_symbol_and_date_and_moves_the_fingerprint(store_copy: Path) -> None:
    store = _open(store_copy)
    try:
        fp = _fingerprint(store)
        n = store.conn.execute("SELECT count(*) FROM bars WHERE symbol = 'SPY'").fetchall()[0][0]
        with item_transaction(store) as conn:
            upsert_bars(conn, _bars(date(2026, 7, 1), 500.0))  # an existing session: replaced, not added
        assert store.conn.execute("SELECT count(*) FROM bars WHERE symbol = 'SPY'").fetchall()[0][0] == n
        row = store.conn.execute(
            "SELECT close, source FROM bars WHERE symbol='SPY' AND date='2026-07-01'"
        ).fetchall()
        assert row == [(500.0, LIVE_SOURCE)]
        assert _fingerprint(store) != fp and "live:" in _fingerprint(store)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        with pytest.raises(ValueError, match="finished session"), item_transaction(store) as conn:
            upsert_bars(conn, _bars(tomorrow, 1.0))
        assert not store.conn.execute("SELECT * FROM bars WHERE date = ?", [tomorrow]).fetchall()
    finally:
        store.close()


def test_a_failed_item_transaction_stores_nothing(store_copy: Path) -> None:
    db = store_copy / "rotascope.duckdb"
    before = table_digest(db, "bars"), table_digest(db, "loads")
    store = _open(store_copy)
    try:
        with pytest.raises(RuntimeError), item_transaction(store) as conn:
            upsert_bars(conn, _bars(date(2026, 7, 2), 600.0))
            raise RuntimeError("the source died mid-item")
    finally:
        store.close()
    assert (table_digest(db, "bars"), table_digest(db, "loads")) == before


def test_revised_series_values_become_known_when_fetched(store_copy: Path) -> None:
    store = _open(store_copy)
    try:
        old = store.conn.execute(
            "SELECT value, known_at FROM series WHERE series_id = 'claims' ORDER BY date DESC LIMIT 1"
        ).fetchall()[0]
        last = store.conn.execute("SELECT max(date) FROM series WHERE series_id = 'claims'").fetchall()[0][0]
        frame = pd.DataFrame(
            {
                "series_id": ["claims", "claims"],
                "date": [pd.Timestamp(last), pd.Timestamp(last + timedelta(7))],
                "value": [old[0], old[0] + 1000],
                "known_at": [pd.Timestamp(old[1]), pd.Timestamp(last + timedelta(12))],
            }
        )
        with item_transaction(store) as conn:
            same = upsert_series(conn, frame, date(2026, 8, 1))
        assert (same.rows, same.revised) == (1, 0)  # the unchanged value is left alone
        frame.loc[0, "value"] = old[0] + 5000
        with item_transaction(store) as conn:
            revised = upsert_series(conn, frame, date(2026, 8, 1))
        assert (revised.rows, revised.revised) == (1, 1)  # only the revised value is rewritten
        got = store.conn.execute(
            "SELECT value, known_at FROM series WHERE series_id = 'claims' AND date = ?", [last]
        ).fetchall()
        assert got == [(old[0] + 5000, date(2026, 8, 1))]  # no look-ahead: known from the fetch date
    finally:
        store.close()


def test_headlines_are_filtered_by_when_they_became_known(store_copy: Path) -> None:
    def row(ident: str, text: str, published: datetime, known: datetime) -> NewsRow:
        return NewsRow(
            ident, text, "Example", published, known, "https://example.com/" + ident, ("IWM",), 0.0
        )

    utc = UTC
    rows = [
        row(
            "a",
            "Small caps rally",
            datetime(2026, 7, 6, 14, tzinfo=utc),
            datetime(2026, 7, 6, 14, tzinfo=utc),
        ),
        row("b", "Backdated story", datetime(2026, 7, 1, tzinfo=utc), datetime(2026, 7, 9, 8, tzinfo=utc)),
        row("c", "Late news", datetime(2026, 7, 11, tzinfo=utc), datetime(2026, 7, 11, tzinfo=utc)),
    ]
    store = _open(store_copy)
    try:
        with item_transaction(store) as conn:
            assert insert_news(conn, rows) == 3
        with item_transaction(store) as conn:
            assert insert_news(conn, rows) == 0  # ids already stored: first sighting kept
        got = load_headlines(store, date(2026, 7, 2), date(2026, 7, 8))
        assert [h.text for h in got] == ["Small caps rally"]  # 'b' was not readable until 07-09
        assert got[0].known_at == date(2026, 7, 6) and got[0].source == "Example"
        assert [h.text for h in load_headlines(store, date(2026, 7, 1), date(2026, 7, 10))] == [
            "Small caps rally",
            "Backdated story",
        ]
    finally:
        store.close()
