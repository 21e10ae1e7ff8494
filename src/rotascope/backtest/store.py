"""Persist backtest runs in the store: one row per run in table ``backtests`` (added by this module).

The table is created on demand (``CREATE TABLE IF NOT EXISTS``) on a write connection, so stores made
before the backtest existed gain it the first time a backtest is saved. The insert is one transaction:
a run is stored whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from rotascope.config import Settings
from rotascope.errors import StoreError
from rotascope.store.db import Store, open_store

DDL = """
CREATE TABLE IF NOT EXISTS backtests (
    id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP,
    start DATE,
    "end" DATE,
    params JSON,
    data_fingerprint VARCHAR,
    result JSON
)
"""


def run_id(params_json: str, fingerprint: str, result_json: str, created: datetime) -> str:
    """Id of a run: creation time (to the microsecond) and a hash of what was run on what data."""
    digest = hashlib.sha256("\n".join((params_json, fingerprint, result_json)).encode()).hexdigest()
    return f"bt-{created:%Y%m%dT%H%M%S%f}-{digest[:10]}"


def save_backtest(
    settings: Settings,
    *,
    start: date,
    end: date,
    params_json: str,
    data_fingerprint: str,
    result_json: str,
) -> str:
    """Insert one run (atomically) and return its id."""
    created = datetime.now(UTC).replace(tzinfo=None)
    rid = run_id(params_json, data_fingerprint, result_json, created)
    store = open_store(settings, write=True)
    conn = store.conn
    try:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(DDL)
        conn.execute(
            "INSERT INTO backtests VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rid, created, start, end, params_json, data_fingerprint, result_json],
        )
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            first = str(exc).splitlines()[0]
            raise StoreError(f"Cannot save the backtest in {settings.db}: {first}.") from None
        raise
    finally:
        store.close()
    return rid


def _has_table(store: Store) -> bool:
    rows = store.conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'backtests'"
    ).fetchall()
    return bool(rows[0][0])


def list_backtests(store: Store) -> list[dict[str, Any]]:
    """Stored runs, newest first (id, created_at, start, end, data_fingerprint); empty when none."""
    if not _has_table(store):
        return []
    rows = store.conn.execute(
        'SELECT id, created_at, start, "end", data_fingerprint FROM backtests ORDER BY created_at DESC'
    ).fetchall()
    keys = ("id", "created_at", "start", "end", "data_fingerprint")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def load_backtest(store: Store, rid: str) -> dict[str, Any] | None:
    """The stored result JSON of run ``rid`` (parsed), or None when there is no such run."""
    if not _has_table(store):
        return None
    rows = store.conn.execute("SELECT result FROM backtests WHERE id = ?", [rid]).fetchall()
    if not rows:
        return None
    value = json.loads(rows[0][0])
    return value if isinstance(value, dict) else None
