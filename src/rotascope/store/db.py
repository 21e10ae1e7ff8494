"""Open, load and query the DuckDB store. Loads are one transaction: all or nothing."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from rotascope.config import Settings
from rotascope.diskfull import no_space
from rotascope.errors import (
    KEPT,
    REBUILD,
    DateOutOfRangeError,
    StoreCorrupt,
    StoreError,
    StoreNotInitialised,
    UnknownSymbolError,
)
from rotascope.interrupts import reraise_interrupt
from rotascope.store.batchload import insert_batch
from rotascope.store.cache import PanelCache
from rotascope.store.panel import Panel
from rotascope.store.schema import DDL, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import pandas as pd

    from rotascope.providers.base import DataBatch

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoadReport:
    """What one load put in the store."""

    source: str
    fingerprint: str
    bars: int
    series: int
    instruments: int
    flags: int
    unchanged: bool


@dataclass(frozen=True)
class SourceStatus:
    """Coverage and staleness of one kind of stored data."""

    source: str
    kind: str
    items: int
    rows: int
    first: date | None
    last: date | None


PANEL_BATCH = 1 << 20
"""Rows per Arrow batch when a close panel is read from the store (bounds the memory of a cold read)."""


def _friendly(exc: Exception, path: Path) -> StoreError:
    """``exc`` from DuckDB as one sentence; an interrupt is raised again as KeyboardInterrupt (a query cut
    short by Ctrl-C is not a damaged store)."""
    reraise_interrupt(exc)
    text = str(exc)
    full = no_space(exc)
    if full is not None:
        return StoreError(full)
    if "lock" in text.lower():
        return StoreError(f"The store {path} is in use by another rotascope process; try again when it ends.")
    if "permission" in text.lower() or "read-only" in text.lower():
        return StoreError(
            f"Cannot write to the store {path}: permission denied (set ROTASCOPE_HOME or --home)."
        )
    return StoreError(
        f"The store {path} cannot be opened ({text.splitlines()[0][:160]}); it may be corrupt. "
        "Move it aside and run `rotascope init` (nothing is deleted for you)."
    )


def _unopenable(exc: Exception, path: Path) -> StoreError:
    """Why ``path`` did not open: a permission problem, or a damaged file `init --force` replaces."""
    friendly = _friendly(exc, path)
    if "cannot be opened" not in str(friendly):
        return friendly
    first = str(exc).splitlines()[0][:160]
    return StoreCorrupt(
        f"The store {path} is corrupt: it cannot be opened ({first}); {REBUILD}{KEPT}.", in_place=False
    )


def _is_lock(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "held" in text)


def connect(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open ``path``; while another process holds a conflicting lock, retry with backoff for ``wait`` s.

    DuckDB lets many processes read a file, or one process write it, never both: writers keep their
    windows short (one insert, one item) and both sides retry, so neither fails because the other runs.
    """
    deadline = time.monotonic() + max(0.0, wait)
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            if not _is_lock(exc) or time.monotonic() >= deadline:
                if _is_lock(exc):
                    raise StoreError(
                        f"The store {path} stayed in use by another rotascope process for {wait:g} s; "
                        "try again when it ends (setting store_lock_wait waits longer)."
                    ) from None
                raise _unopenable(exc, path) from None
        time.sleep(min(delay * (0.5 + random.random()), max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.5)


_SOUND: set[Path] = set()
"""Store files whose every page read back in this process (checked once, before the first write)."""


def read_every_page(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Read every row of every table of ``path`` (DuckDB verifies each block's checksum as it reads it);
    a damaged page raises :class:`StoreCorrupt`."""
    try:
        tables = [str(r[0]) for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in sorted(tables):
            name = table.replace('"', '""')
            conn.execute(f'SELECT bit_xor(hash("{name}")) FROM "{name}"').fetchall()
    except (duckdb.Error, OSError) as exc:
        reraise_interrupt(exc)
        raise StoreCorrupt.unreadable_page(path, exc) from None
    _SOUND.add(path.resolve())


def open_store(settings: Settings, *, write: bool = False, wait: float | None = None) -> Store:
    """Open the store; ``write=True`` creates it (and its folder) when missing.

    A locked store is retried for ``wait`` seconds (default ``settings.store_lock_wait``) before failing in
    one sentence. Before the first write of a process into an existing file, every page is read back
    (about 0.2 s): a read served from a warm cache never saw the file, and must not hide its damage.
    """
    path = settings.db
    if not write and not path.exists():
        raise StoreNotInitialised(f"No store at {path}: run `rotascope init` first.")
    if path.exists() and not path.is_file():
        raise StoreError(f"The store {path} is not a file: move it aside or set --db.")
    if write:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {path.parent}: {exc.strerror}.") from None
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise StoreError(
                f"Cannot write to {path.parent}: permission denied (set ROTASCOPE_HOME or --home)."
            )
    existed = path.exists()
    conn = connect(path, read_only=not write, wait=settings.store_lock_wait if wait is None else wait)
    store = Store(conn, path, settings, write=write)
    if write:
        try:
            if existed and path.resolve() not in _SOUND:
                read_every_page(conn, path)
        except StoreCorrupt:
            conn.close()
            raise
        try:
            conn.execute(DDL)
            for _version, statement in MIGRATIONS:
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        except duckdb.Error as exc:
            conn.close()
            raise _friendly(exc, path) from None
    else:
        store.check_schema()
    return store


class Store:
    """A connection to the store with typed read/write operations."""

    def __init__(
        self, conn: duckdb.DuckDBPyConnection, path: Path, settings: Settings, *, write: bool = False
    ) -> None:
        self._conn: duckdb.DuckDBPyConnection | None = conn
        self.path = path
        self.settings = settings
        self.write = write
        self._panels: dict[tuple[str, ...], Panel] = {}
        self._cache = PanelCache(settings.home / "cache", keep=settings.panel_cache_keep)

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        """The connection, reopened (same mode, with the lock retry) after :meth:`release`."""
        if self._conn is None:
            self._conn = connect(self.path, read_only=not self.write, wait=self.settings.store_lock_wait)
        return self._conn

    def release(self) -> None:
        """Close the connection so other processes may open the file; the next query reopens it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        self.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- writing
    def load(self, batch: DataBatch, progress: Progress | None = None, force: bool = False) -> LoadReport:
        """Replace everything from ``batch.source`` in one transaction (a kill mid-way changes nothing)."""
        say = progress or (lambda _msg: None)
        previous = self.conn.execute(
            "SELECT fingerprint FROM loads WHERE source = ? ORDER BY loaded_at DESC LIMIT 1", [batch.source]
        ).fetchall()
        n_bars = sum(len(b) for b in batch.bars)
        if previous and previous[0][0] == batch.fingerprint and not force:
            return LoadReport(
                batch.source,
                batch.fingerprint,
                n_bars,
                len(batch.series),
                len(batch.instruments),
                len(batch.flags),
                unchanged=True,
            )
        conn = self.conn
        try:
            conn.execute("BEGIN TRANSACTION")
            for table in ("bars", "series", "instruments", "series_meta", "quality_flags", "membership"):
                conn.execute(f"DELETE FROM {table} WHERE source = ?", [batch.source])
            insert_batch(conn, batch, n_bars, say)
            say("committing")
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            reraise_interrupt(exc)  # Ctrl-C inside DuckDB: rolled back, store unchanged
            if isinstance(exc, duckdb.Error):
                raise _friendly(exc, self.path) from None
            raise
        finally:
            for name in (
                "batch_instruments",
                "batch_bars",
                "batch_dropped",
                "batch_series",
                "batch_meta",
                "batch_flags",
                "batch_membership",
            ):
                with contextlib.suppress(duckdb.Error, KeyError):
                    conn.unregister(name)
        self._panels.clear()
        conn.execute("CHECKPOINT")
        return LoadReport(
            batch.source,
            batch.fingerprint,
            n_bars,
            len(batch.series),
            len(batch.instruments),
            len(batch.flags),
            unchanged=False,
        )

    # ---------------------------------------------------------------- reading
    def check_schema(self) -> None:
        """Fail clearly when the file is a DuckDB database but not a rotascope store, or an empty one."""
        try:
            tables = {
                r[0] for r in self.conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
        except duckdb.Error as exc:
            raise _friendly(exc, self.path) from None
        if not {"bars", "series", "instruments", "loads"} <= tables:
            raise StoreNotInitialised(f"{self.path} holds no rotascope data: run `rotascope init` first.")

    def loaded_fingerprint(self, source: str) -> str | None:
        """Fingerprint of the latest load of ``source`` (None if never loaded)."""
        value = self._scalar(
            "SELECT fingerprint FROM loads WHERE source = ? ORDER BY loaded_at DESC LIMIT 1", [source]
        )
        return str(value) if value is not None else None

    def is_initialised(self) -> bool:
        return bool(self._scalar("SELECT count(*) FROM loads"))

    def require_data(self) -> None:
        if not self.is_initialised():
            raise StoreNotInitialised(f"The store {self.path} is empty: run `rotascope init` first.")

    def fingerprint(self) -> str:
        """Fingerprint of the stored data: the fingerprints of the latest load of each source."""
        rows = self.conn.execute(
            "SELECT source, arg_max(fingerprint, loaded_at) FROM loads GROUP BY source ORDER BY source"
        ).fetchall()
        return "+".join(f"{s}:{f}" for s, f in rows)

    def instruments(self) -> pd.DataFrame:
        return self.conn.execute("SELECT * FROM instruments ORDER BY symbol").df()

    def instrument_kind(self, symbol: str) -> str | None:
        """The stored kind of ``symbol`` ('stock', 'etf', 'index'…), None when it is not stored."""
        rows = self.conn.execute("SELECT kind FROM instruments WHERE symbol = ?", [symbol]).fetchall()
        return str(rows[0][0]) if rows else None

    def has_symbol(self, symbol: str) -> bool:
        return bool(self._scalar("SELECT count(*) FROM instruments WHERE symbol = ?", [symbol]))

    def has_series(self, series_id: str) -> bool:
        return bool(self._scalar("SELECT count(*) FROM series_meta WHERE series_id = ?", [series_id]))

    def bars(self, symbol: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        """Stored bars of one symbol between start and end (inclusive)."""
        if not self.has_symbol(symbol):
            raise UnknownSymbolError(
                f"Unknown symbol {symbol!r}: `rotascope data status` lists what is stored."
            )
        frame = self.conn.execute(
            "SELECT date, open, high, low, close, volume, source FROM bars WHERE symbol = ? "
            "AND date >= coalesce(?, DATE '1900-01-01') AND date <= coalesce(?, DATE '2999-12-31') "
            "ORDER BY date",
            [symbol, start, end],
        ).df()
        self._check_range(frame, symbol, start, end)
        return frame

    def series(
        self, series_id: str, start: date | None = None, end: date | None = None, known_by: date | None = None
    ) -> pd.DataFrame:
        """Observations of one series; ``known_by`` keeps only what was public by that date."""
        if not self.has_series(series_id):
            raise UnknownSymbolError(
                f"Unknown series {series_id!r}: `rotascope data status` lists what is stored."
            )
        frame = self.conn.execute(
            "SELECT date, value, known_at, source FROM series WHERE series_id = ? "
            "AND date >= coalesce(?, DATE '1900-01-01') AND date <= coalesce(?, DATE '2999-12-31') "
            "AND known_at <= coalesce(?, DATE '2999-12-31') ORDER BY date",
            [series_id, start, end, known_by],
        ).df()
        self._check_range(frame, series_id, start, end)
        return frame

    def _check_range(self, frame: pd.DataFrame, what: str, start: date | None, end: date | None) -> None:
        if frame.empty:
            first, last = self.span(what)
            raise DateOutOfRangeError(
                f"No data for {what} between {start or 'the start'} and {end or 'the end'}; "
                f"stored range is {first} to {last}."
            )

    def span(self, what: str) -> tuple[date | None, date | None]:
        """First and last stored date of a symbol or series."""
        rows = self.conn.execute(
            "SELECT min(date), max(date) FROM (SELECT date FROM bars WHERE symbol = ? "
            "UNION ALL SELECT date FROM series WHERE series_id = ?)",
            [what, what],
        ).fetchall()
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def high_low_panel(self, symbols: list[str] | tuple[str, ...]) -> Panel:
        """Highs and lows (columns ``<SYM>_high``, ``<SYM>_low``) of ETFs, on their own trading dates."""
        unknown = [s for s in symbols if not self.has_symbol(s)]
        if unknown:
            raise UnknownSymbolError(f"Unknown symbol(s) {', '.join(unknown)}.")
        stacked = self._field_panel(symbols, ("high", "low"))
        dates, values = stacked[0], np.concatenate(stacked[1], axis=1)
        # interleave as <SYM>_high, <SYM>_low
        n = len(symbols)
        values = values[:, np.ravel(np.column_stack([np.arange(n), n + np.arange(n)]))]
        names = tuple(f"{s}_{k}" for s in symbols for k in ("high", "low"))
        return Panel(dates, names, values)

    def _field_panel(
        self, symbols: list[str] | tuple[str, ...], fields: tuple[str, ...], where: str = ""
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Dates and one (dates x symbols) array per bar field, on the union of the symbols' dates (of the
        bars matching ``where``, a fixed SQL condition on ``b``, when given).

        The rows are streamed in Arrow batches of ``PANEL_BATCH`` and scattered into the arrays, so a
        panel of ~10 M closes never exists twice over as query results. NULLs (a source with closes only
        has no highs/lows) become NaN, never 0.
        """
        wanted = "(SELECT unnest(?::VARCHAR[]) AS symbol, unnest(range(?)) AS col)"
        join = f"FROM bars b JOIN {wanted} w USING (symbol)" + (f" WHERE {where}" if where else "")
        params = [list(symbols), len(symbols)]
        got = self.conn.execute(f"SELECT DISTINCT b.date {join} ORDER BY 1", params).fetchnumpy()
        uniq = np.asarray(got["date"]).astype("datetime64[D]")
        arrays = [np.full((len(uniq), len(symbols)), np.nan) for _ in fields]
        cols = ", ".join(f"b.{f}" for f in fields)
        reader = self.conn.sql(f"SELECT b.date, w.col, {cols} {join}", params=params).to_arrow_reader(
            PANEL_BATCH
        )
        for batch in reader:
            day = batch.column(0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
            row = np.minimum(np.searchsorted(uniq, day), max(len(uniq) - 1, 0))
            if not np.array_equal(uniq[row], day):
                raise StoreError(f"The store {self.path} changed while it was read; try again.")
            col = batch.column(1).to_numpy(zero_copy_only=False)
            for k, values in enumerate(arrays):
                values[row, col] = batch.column(k + 2).to_numpy(zero_copy_only=False)
        return uniq, arrays

    def close_panel(self, symbols: list[str] | tuple[str, ...], *, compact: bool = False) -> Panel:
        """Closes of the given symbols on the union of their trading dates (NaN where missing).

        ``compact=True`` returns them as float32 when that is exact (see :meth:`Panel.compact`) and does
        not keep them in this store's memo: the caller holds the only copy (big panels are disk-cached).
        """
        key = tuple(symbols)
        if key in self._panels:
            return self._panels[key].compact() if compact else self._panels[key]
        unknown = [s for s in symbols if not self.has_symbol(s)] if len(symbols) < 100 else []
        if unknown:
            raise UnknownSymbolError(f"Unknown symbol(s) {', '.join(unknown)}.")
        panel = self._cache.get(self.fingerprint(), key)
        fresh = panel is None
        if panel is None:
            uniq, (values,) = self._field_panel(symbols, ("close",))
            panel = Panel(uniq, key, values)
            del values
            if compact:
                panel = panel.compact()  # before caching: the float64 copy goes at once
            if len(symbols) >= 100:  # big panels only: small ones are quicker to query than to cache
                self._cache.put(self.fingerprint(), panel)
        if compact:
            return panel if fresh else panel.compact()  # a fresh panel was compacted above
        self._panels[key] = panel
        return panel

    def traded_close_panel(self, symbols: list[str] | tuple[str, ...]) -> Panel | None:
        """Unadjusted (traded) closes of ``symbols`` on their own dates, or None when the store holds none
        for them (the embedded data; a store made before schema 2 and not yet migrated)."""
        has_column = self._scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'bars' "
            "AND column_name = 'close_traded'"
        )
        if not has_column:
            return None
        uniq, (values,) = self._field_panel(symbols, ("close_traded",), "b.close_traded IS NOT NULL")
        return Panel(uniq, tuple(symbols), values) if len(uniq) else None

    def member_symbols(self, universe: str = "R2000") -> list[str]:
        """Stocks whose current membership includes ``universe`` and that have stored prices."""
        rows = self.conn.execute(
            "SELECT symbol FROM instruments WHERE kind = 'stock' AND list_contains(universes, ?) "
            "AND symbol IN (SELECT DISTINCT symbol FROM bars) ORDER BY symbol",
            [universe],
        ).fetchall()
        return [r[0] for r in rows]

    def membership(self, universe: str) -> pd.DataFrame:
        """Point-in-time lists of ``universe``: ``date, symbol, known_at, priced`` (empty when none)."""
        if not self._scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'membership'"):
            return self.conn.execute(
                "SELECT NULL::DATE AS date, NULL::VARCHAR AS symbol, NULL::DATE AS known_at, "
                "NULL::BOOLEAN AS priced WHERE false"
            ).df()
        return self.conn.execute(
            "SELECT date, symbol, known_at, priced FROM membership WHERE universe = ? ORDER BY date, symbol",
            [universe],
        ).df()

    def status(self) -> list[SourceStatus]:
        """Coverage of each kind of data, for `rotascope data status`."""
        rows = self.conn.execute("""
            SELECT b.source, i.kind, count(DISTINCT b.symbol), count(*), min(b.date), max(b.date)
            FROM bars b JOIN instruments i USING (symbol) GROUP BY ALL
            UNION ALL
            SELECT source, 'series', count(DISTINCT series_id), count(*), min(date), max(date)
            FROM series GROUP BY ALL ORDER BY 1, 2""").fetchall()
        return [SourceStatus(*r) for r in rows]

    def item_ranges(self) -> pd.DataFrame:
        """Per symbol/series first and last date, for staleness."""
        return self.conn.execute("""
            SELECT i.kind, b.symbol AS item, min(b.date) AS first, max(b.date) AS last, count(*) AS rows
            FROM bars b JOIN instruments i USING (symbol) WHERE i.kind <> 'stock' GROUP BY ALL
            UNION ALL SELECT 'series', series_id, min(date), max(date), count(*) FROM series GROUP BY ALL
            ORDER BY 1, 2""").df()

    def flag_summary(self) -> pd.DataFrame:
        return self.conn.execute(
            "SELECT source, reason, action, count(*) AS n FROM quality_flags GROUP BY ALL ORDER BY n DESC"
        ).df()

    def last_load(self) -> datetime | None:
        value = self._scalar("SELECT max(loaded_at) FROM loads")
        return value if isinstance(value, datetime) else None

    def _scalar(self, sql: str, params: list[object] | None = None) -> object:
        """First column of the first row (the whole result is fetched, as DuckDB requires)."""
        rows = self.conn.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None


@contextlib.contextmanager
def reading(settings: Settings) -> Iterator[Store]:
    """Open the store read-only, require data, and close it afterwards."""
    store = open_store(settings)
    try:
        store.require_data()
        yield store
    finally:
        store.close()


@contextlib.contextmanager
def writing(settings: Settings) -> Iterator[Store]:
    """Open the store for writing for this block only (a short write window), then close it."""
    store = open_store(settings, write=True)
    try:
        yield store
    finally:
        store.close()
