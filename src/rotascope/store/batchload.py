"""Writing one provider batch into the store's tables, inside the caller's transaction.

Kept apart from :mod:`rotascope.store.db` (connection, locking, reading) so each holds one job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from rotascope.errors import DatasetError
from rotascope.providers.base import WideCloses
from rotascope.store.schema import BAR_INSERT_COLUMNS

if TYPE_CHECKING:
    from rotascope.providers.base import DataBatch


def insert_batch(
    conn: duckdb.DuckDBPyConnection, batch: DataBatch, n_bars: int, say: Callable[[str], None]
) -> None:
    """Insert instruments, bars, series, their metadata, membership, quality flags and the load's row.

    The caller owns the transaction and unregisters the ``batch_*`` views afterwards."""
    say("instruments")
    conn.register("batch_instruments", batch.instruments)
    conn.execute(
        "INSERT INTO instruments SELECT symbol, name, kind, sector, CAST(universes AS VARCHAR[]), "
        "weight_r2000, ? FROM batch_instruments",
        [batch.source],
    )
    for i, part in enumerate(batch.bars):
        say(f"bars {i + 1}/{len(batch.bars)} ({len(part):,} rows)")
        if isinstance(part, WideCloses):
            _insert_wide(conn, part, batch.source)
            continue
        conn.register("batch_bars", part)
        conn.execute(
            f"INSERT INTO bars {BAR_INSERT_COLUMNS} SELECT CAST(symbol AS VARCHAR), "
            "CAST(date AS DATE), open, high, low, close, volume, ?, CAST(date AS DATE), NULL "
            "FROM batch_bars",
            [batch.source],
        )
        conn.unregister("batch_bars")
    say(f"series ({len(batch.series):,} rows)")
    conn.register("batch_series", batch.series)
    conn.execute(
        "INSERT INTO series SELECT series_id, CAST(date AS DATE), value, CAST(known_at AS DATE), ? "
        "FROM batch_series",
        [batch.source],
    )
    conn.register("batch_meta", batch.series_meta)
    conn.execute(
        "INSERT INTO series_meta SELECT series_id, name, unit, frequency, origin, ? FROM batch_meta",
        [batch.source],
    )
    if batch.membership is not None:
        say(f"membership ({len(batch.membership):,} rows)")
        conn.register("batch_membership", batch.membership)
        conn.execute(
            "INSERT INTO membership SELECT universe, CAST(date AS DATE), symbol, "
            "CAST(known_at AS DATE), priced, ? FROM batch_membership",
            [batch.source],
        )
    import pandas as pd  # deferred: only loads need it; readers of the store never import pandas

    flags = pd.DataFrame(
        [f.__dict__ for f in batch.flags],
        columns=["source", "symbol", "date", "field", "original", "action", "reason"],
    )
    conn.register("batch_flags", flags)
    conn.execute(
        "INSERT INTO quality_flags SELECT source, symbol, CAST(date AS DATE), field, original, "
        "action, reason FROM batch_flags"
    )
    conn.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?)",
        [
            batch.source,
            batch.fingerprint,
            datetime.now(UTC).replace(tzinfo=None),
            n_bars,
            len(batch.series),
            len(batch.flags),
        ],
    )


WIDE_BLOCK = 256
"""Columns of a wide close file unpivoted per insert: DuckDB reads the Parquet file directly, so the
memory a load needs stays bounded (a whole-table pandas round trip peaked near 2 GB)."""


def _ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _insert_wide(conn: duckdb.DuckDBPyConnection, wide: WideCloses, source: str) -> None:
    """Unpivot ``wide`` into close-only bars, ``WIDE_BLOCK`` columns at a time, each block sorted by symbol
    and date (a symbol's bars then sit together, so one-symbol queries skip most of the table)."""
    day = f"CAST({_ident(wide.date_column)} AS DATE)"
    conn.register("batch_dropped", wide.dropped)
    total = 0
    for j in range(0, len(wide.symbols), WIDE_BLOCK):
        cols = ", ".join(_ident(s) for s in wide.symbols[j : j + WIDE_BLOCK])
        got = conn.execute(
            f"INSERT INTO bars {BAR_INSERT_COLUMNS} SELECT u.symbol, u.date, NULL, NULL, NULL, u.close, "
            "NULL, ?, u.date, NULL FROM "
            f"(SELECT symbol, {day} AS date, CAST(close AS DOUBLE) AS close FROM (UNPIVOT "
            f"(SELECT {_ident(wide.date_column)}, {cols} FROM read_parquet(?)) ON {cols} "
            "INTO NAME symbol VALUE close) WHERE isfinite(close)) u "
            "ANTI JOIN batch_dropped d ON u.symbol = d.symbol AND u.date = CAST(d.date AS DATE) "
            "ORDER BY u.symbol, u.date",
            [source, str(wide.path)],
        ).fetchall()
        total += int(got[0][0])
    if total != wide.rows:
        raise DatasetError(
            f"{wide.path.name} gave {total:,} bars where {wide.rows:,} were expected; reinstall rotascope."
        )
