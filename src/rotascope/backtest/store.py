"""Persist backtest runs in the store: one row per run in table ``backtests`` (added by this module).

The table is created on demand (``CREATE TABLE IF NOT EXISTS``) on a write connection, so stores made
before the backtest existed gain it the first time a backtest is saved. The insert is one transaction:
a run is stored whole or not at all. Runs are read back as typed records (``StoredBacktest`` rows,
``BacktestResult``); a row this version cannot read (older schema, hand-edited) is one ``StoreError``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, date, datetime

import duckdb
from pydantic import ValidationError

from rotascope.backtest.result import BacktestResult
from rotascope.config import Settings
from rotascope.errors import StoreError
from rotascope.interrupts import reraise_interrupt
from rotascope.records import Record
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


class StoredBacktest(Record):
    """One stored run as listed: its id, when it was stored (UTC), the weeks it covers and its data."""

    id: str
    created_at: datetime
    start: date
    end: date
    data_fingerprint: str


def run_id(params_json: str, fingerprint: str, result_json: str, created: datetime) -> str:
    """Id of a run: creation time (to the microsecond) and a hash of what was run on what data."""
    digest = hashlib.sha256("\n".join((params_json, fingerprint, result_json)).encode()).hexdigest()
    return f"bt-{created:%Y%m%dT%H%M%S%f}-{digest[:10]}"


def save_backtest(settings: Settings, result: BacktestResult) -> str:
    """Insert one run (atomically) and return its id."""
    params_json, result_json = result.params.to_json(), result.to_json()
    start, end, data_fingerprint = result.start, result.end, result.data_fingerprint
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
        reraise_interrupt(exc)
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


def _unreadable(rid: object, exc: ValidationError | ValueError) -> StoreError:
    """One sentence for a stored row this version cannot read: where it first fails, and what to do."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the record"
        n = exc.error_count()
        cause = f"{n} problem{'s' if n > 1 else ''}, first at {where}: {first['msg'].rstrip('.')}"
    else:
        cause = f"not valid JSON: {str(exc).splitlines()[0]}"
    return StoreError(
        f"Stored backtest {rid} cannot be read by this version of rotascope ({cause}); run "
        "`rotascope backtest` again to store a fresh run."
    )


def list_backtests(store: Store) -> list[StoredBacktest]:
    """Stored runs, newest first; empty when none (or before the first backtest created the table)."""
    if not _has_table(store):
        return []
    rows = store.conn.execute(
        'SELECT id, created_at, start, "end", data_fingerprint FROM backtests ORDER BY created_at DESC'
    ).fetchall()
    out = []
    for rid, created, start, end, fingerprint in rows:
        try:
            out.append(
                StoredBacktest(
                    id=rid,
                    created_at=created.replace(tzinfo=UTC) if created is not None else created,
                    start=start,
                    end=end,
                    data_fingerprint=fingerprint,
                )
            )
        except ValidationError as exc:
            raise _unreadable(rid, exc) from None
    return out


def load_backtest(store: Store, rid: str) -> BacktestResult | None:
    """The stored result of run ``rid`` as a ``BacktestResult``, or None when there is no such run."""
    if not _has_table(store):
        return None
    rows = store.conn.execute("SELECT result FROM backtests WHERE id = ?", [rid]).fetchall()
    if not rows:
        return None
    try:
        return BacktestResult.model_validate(json.loads(rows[0][0]))
    except (ValidationError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        raise _unreadable(rid, exc) from None
