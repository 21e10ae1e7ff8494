"""Live data in the store: tables for fundamentals, news, holdings, the update log and LLM narrations, and
the upserts `rotascope update` uses.

Why a module of its own: the embedded dataset is loaded all-or-nothing by :meth:`Store.load`, but live data
arrives item by item (one symbol, one series, one feed) from sources that fail independently. Each item is
written in its own transaction (:func:`item_transaction`), so a failure or a kill loses nothing already
committed and a rerun continues from the last stored date of each item.

Point in time: live bars are stored with ``known_at`` = their session date (only finished sessions are ever
stored), series with the publication date FRED's lag rules give (a revised value counts as known on the day
it was fetched), fundamentals by ``filed``, headlines by ``known_at``.

Every live write also advances the ``live`` row of the ``loads`` table in the same transaction, so the
store's data fingerprint (and with it analysis ids and the panel cache) changes exactly when data does.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from rotascope.clock import today as clock_today
from rotascope.providers.base import QualityFlag
from rotascope.records import Headline
from rotascope.store.db import Store, _friendly
from rotascope.store.schema import BAR_INSERT_COLUMNS

__all__ = [
    "HEADLINES_LOAD",
    "LIVE_DDL",
    "LIVE_SOURCE",
    "NarrationRow",
    "UpdateLogRow",
    "ensure_live_schema",
    "insert_news",
    "insert_news_frame",
    "insert_quality_flags",
    "item_transaction",
    "last_bar_date",
    "last_filed",
    "last_series_date",
    "latest_narrations",
    "load_headlines",
    "load_sec_facts",
    "log_update",
    "replace_holdings",
    "save_narration",
    "stored_closes",
    "update_log",
    "upsert_bars",
    "upsert_fundamentals",
    "upsert_series",
]

LIVE_SOURCE = "live"
HEADLINES_LOAD = "bundled_headlines"
"""Load name of the bundled headline sample `init` stores: embedded data, so labelled ``bundled``, not
``live`` (``live`` appears only once `rotascope update` wrote something)."""

LIVE_DDL = """
CREATE TABLE IF NOT EXISTS fundamentals (
    symbol VARCHAR NOT NULL, cik BIGINT, metric VARCHAR NOT NULL, period_start DATE, period_end DATE NOT NULL,
    fiscal_year INTEGER, fiscal_period VARCHAR, form VARCHAR, value DOUBLE NOT NULL, unit VARCHAR,
    filed DATE NOT NULL, concept VARCHAR, accession VARCHAR NOT NULL, source VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS news (
    id VARCHAR PRIMARY KEY, headline VARCHAR NOT NULL, source VARCHAR, published TIMESTAMP NOT NULL,
    known_at TIMESTAMP NOT NULL, url VARCHAR, tickers VARCHAR[], tone DOUBLE);
CREATE TABLE IF NOT EXISTS holdings (
    fund VARCHAR NOT NULL, symbol VARCHAR NOT NULL, weight DOUBLE, as_of DATE NOT NULL);
CREATE TABLE IF NOT EXISTS update_log (
    source VARCHAR NOT NULL, item VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
    status VARCHAR NOT NULL, rows BIGINT, message VARCHAR);
CREATE TABLE IF NOT EXISTS narrations (
    analysis_id VARCHAR NOT NULL, model VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
    text VARCHAR NOT NULL);
"""


def utcnow() -> datetime:
    """Naive UTC now, the store's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_live_schema(store: Store) -> None:
    """Create the live tables if missing (idempotent; needs a writable store)."""
    try:
        store.conn.execute(LIVE_DDL)
    except duckdb.Error as exc:
        raise _friendly(exc, store.path) from None


@contextlib.contextmanager
def item_transaction(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """One item's writes as one transaction: committed together or (on any error, Ctrl-C) not at all."""
    conn = store.conn
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise _friendly(exc, store.path) from None
        raise
    store._panels.clear()  # in-memory panels of this connection are out of date now


def _advance_fingerprint(
    conn: duckdb.DuckDBPyConnection, what: str, digest: str, rows: int, load: str = LIVE_SOURCE
) -> None:
    """Chain the fingerprint of ``load``: new = sha256(old | what | digest of the rows written)."""
    old = conn.execute(
        "SELECT fingerprint FROM loads WHERE source = ? ORDER BY loaded_at DESC LIMIT 1", [load]
    ).fetchall()
    previous = old[0][0] if old else ""
    new = hashlib.sha256(f"{previous}|{what}|{digest}".encode()).hexdigest()[:16]
    conn.execute("DELETE FROM loads WHERE source = ?", [load])
    conn.execute("INSERT INTO loads VALUES (?, ?, ?, ?, 0, 0)", [load, new, utcnow(), rows])


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ reads
def last_bar_date(store: Store, symbol: str) -> date | None:
    """Last stored session of ``symbol`` (any source)."""
    rows = store.conn.execute("SELECT max(date) FROM bars WHERE symbol = ?", [symbol]).fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def last_series_date(store: Store, series_id: str) -> date | None:
    """Last stored observation date of ``series_id`` (any source)."""
    rows = store.conn.execute("SELECT max(date) FROM series WHERE series_id = ?", [series_id]).fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def last_filed(store: Store, symbol: str) -> date | None:
    """Filing date of the newest stored fundamental fact of ``symbol``."""
    rows = store.conn.execute("SELECT max(filed) FROM fundamentals WHERE symbol = ?", [symbol]).fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def stored_closes(store: Store, symbol: str, start: date, end: date) -> dict[date, float]:
    """Stored closes of ``symbol`` between two dates (to chain new adjusted bars onto stored ones)."""
    rows = store.conn.execute(
        "SELECT date, close FROM bars WHERE symbol = ? AND date BETWEEN ? AND ? ORDER BY date",
        [symbol, start, end],
    ).fetchall()
    return {r[0]: float(r[1]) for r in rows}


# ----------------------------------------------------------------------------------------------- writes
def _days(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.date


def upsert_bars(conn: duckdb.DuckDBPyConnection, bars: pd.DataFrame, today: date | None = None) -> int:
    """Replace stored bars on the same (symbol, date) with ``bars`` (source 'live', known_at = date).

    ``close_traded`` (the unadjusted close, when the frame has it) is stored beside the adjusted close.

    Callers pass finished sessions only (the Yahoo provider holds back an unfinished one); a bar dated
    after ``today`` (default: the clock, ``ROTASCOPE_TODAY`` when set) is refused here as a second guard,
    since it can only be an unfinished session.
    """
    if bars.empty:
        return 0
    frame = bars[["symbol", "date", "open", "high", "low", "close", "volume"]].copy()
    frame["close_traded"] = bars["close_traded"] if "close_traded" in bars.columns else np.nan
    frame["date"] = _days(frame["date"])
    today = today or clock_today()
    if any(d > today for d in frame["date"]):
        raise ValueError("refusing to store a bar dated after today: it cannot be a finished session")
    frame = frame.drop_duplicates(["symbol", "date"], keep="last")
    conn.register("live_bars", frame)
    try:
        # one statement for every symbol (a bulk day holds ~2,600): the stored bars on the same sessions go
        conn.execute(
            "DELETE FROM bars WHERE date >= ? AND date <= ? AND EXISTS (SELECT 1 FROM live_bars l "
            "WHERE CAST(l.symbol AS VARCHAR) = bars.symbol AND CAST(l.date AS DATE) = bars.date)",
            [min(frame["date"]), max(frame["date"])],
        )
        conn.execute(
            f"INSERT INTO bars {BAR_INSERT_COLUMNS} SELECT CAST(symbol AS VARCHAR), CAST(date AS DATE), "
            "open, high, low, close, CAST(volume AS BIGINT), ?, CAST(date AS DATE), "
            "CAST(close_traded AS DOUBLE) FROM live_bars",
            [LIVE_SOURCE],
        )
    finally:
        conn.unregister("live_bars")
    _advance_fingerprint(conn, f"bars:{frame['symbol'].iloc[0]}", _digest(frame), len(frame))
    return len(frame)


def ensure_instrument(conn: duckdb.DuckDBPyConnection, symbol: str, kind: str) -> bool:
    """Add an instrument row (source 'live') for a symbol the store does not know yet; True if added."""
    known = conn.execute("SELECT count(*) FROM instruments WHERE symbol = ?", [symbol]).fetchall()[0][0]
    if known:
        return False
    conn.execute(
        "INSERT INTO instruments VALUES (?, ?, ?, NULL, CAST([] AS VARCHAR[]), NULL, ?)",
        [symbol, symbol, kind, LIVE_SOURCE],
    )
    return True


@dataclass(frozen=True)
class SeriesWrite:
    """What :func:`upsert_series` changed."""

    rows: int
    revised: int
    """Stored observations whose value changed (their known_at moves to the fetch date)."""


def upsert_series(conn: duckdb.DuckDBPyConnection, frame: pd.DataFrame, fetched_on: date) -> SeriesWrite:
    """Replace stored observations on the same (series_id, date); revisions become known on ``fetched_on``.

    A value that differs from the stored one for the same date is a revision: it could not have been known
    at the original publication date, so its ``known_at`` is the later of the rule's date and the fetch
    date. Unchanged values are left alone (not rewritten).
    """
    if frame.empty:
        return SeriesWrite(0, 0)
    new = frame[["series_id", "date", "value", "known_at"]].copy()
    new["date"] = _days(new["date"])
    new["known_at"] = _days(new["known_at"])
    sid = str(new["series_id"].iloc[0])
    old = conn.execute(
        "SELECT date, value FROM series WHERE series_id = ? AND date BETWEEN ? AND ?",
        [sid, min(new["date"]), max(new["date"])],
    ).fetchall()
    stored = {r[0]: float(r[1]) for r in old}
    keep: list[int] = []
    known: list[date] = list(new["known_at"])
    revised = 0
    for i, (day, value) in enumerate(zip(new["date"], new["value"], strict=True)):
        before = stored.get(day)
        if before is None:
            keep.append(i)
        elif not np.isclose(before, float(value), rtol=0, atol=1e-9):
            revised += 1
            keep.append(i)
            known[i] = max(known[i], fetched_on)
    new["known_at"] = known
    new = new.iloc[keep]
    if new.empty:
        return SeriesWrite(0, 0)
    conn.register("live_series", new)
    try:
        conn.execute(
            "DELETE FROM series WHERE series_id = ? AND date IN (SELECT CAST(date AS DATE) FROM live_series)",
            [sid],
        )
        conn.execute(
            "INSERT INTO series SELECT CAST(series_id AS VARCHAR), CAST(date AS DATE), value, "
            "CAST(known_at AS DATE), ? FROM live_series",
            [LIVE_SOURCE],
        )
    finally:
        conn.unregister("live_series")
    _advance_fingerprint(conn, f"series:{sid}", _digest(new), len(new))
    return SeriesWrite(len(new), revised)


def upsert_fundamentals(conn: duckdb.DuckDBPyConnection, facts: pd.DataFrame, fetched_at: datetime) -> int:
    """Insert facts not stored yet, keyed by (symbol, metric, period, accession); returns rows added."""
    if facts.empty:
        return 0
    frame = facts.copy()
    for col in ("period_start", "period_end", "filed"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    frame["fiscal_year"] = frame["fiscal_year"].astype("Int64")
    conn.register("live_facts", frame)
    try:
        added = conn.execute(
            """SELECT count(*) FROM live_facts f WHERE NOT EXISTS (SELECT 1 FROM fundamentals s
               WHERE s.symbol = f.symbol AND s.metric = f.metric AND s.period_end = f.period_end
               AND s.period_start IS NOT DISTINCT FROM f.period_start AND s.accession = f.accession)"""
        ).fetchall()[0][0]
        conn.execute(
            """INSERT INTO fundamentals SELECT CAST(symbol AS VARCHAR), cik, metric, period_start, period_end,
               fiscal_year, fiscal_period, form, value, unit, filed, concept, accession, ?, ?
               FROM live_facts f WHERE NOT EXISTS (SELECT 1 FROM fundamentals s
               WHERE s.symbol = f.symbol AND s.metric = f.metric AND s.period_end = f.period_end
               AND s.period_start IS NOT DISTINCT FROM f.period_start AND s.accession = f.accession)""",
            [LIVE_SOURCE, fetched_at.astimezone(UTC).replace(tzinfo=None)],
        )
    finally:
        conn.unregister("live_facts")
    if added:
        _advance_fingerprint(conn, f"fundamentals:{frame['symbol'].iloc[0]}", _digest(frame), int(added))
    return int(added)


@dataclass(frozen=True)
class NewsRow:
    """One headline ready for the news table (``tone``: the sentiment model's P(positive) − P(negative))."""

    id: str
    headline: str
    source: str
    published: datetime
    known_at: datetime
    url: str
    tickers: tuple[str, ...]
    tone: float


def insert_news(conn: duckdb.DuckDBPyConnection, rows: Sequence[NewsRow]) -> int:
    """Insert headlines not stored yet (by id; the first sighting keeps its known_at); rows added."""
    if not rows:
        return 0
    ids = [r.id for r in rows]
    have = {r[0] for r in conn.execute("SELECT id FROM news WHERE list_contains(?, id)", [ids]).fetchall()}
    fresh = [r for r in dict((r.id, r) for r in rows).values() if r.id not in have]
    for r in fresh:
        conn.execute(
            "INSERT INTO news VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.id,
                r.headline,
                r.source,
                _naive(r.published),
                _naive(r.known_at),
                r.url,
                list(r.tickers),
                r.tone,
            ],
        )
    if fresh:
        digest = hashlib.sha256("\n".join(sorted(r.id for r in fresh)).encode()).hexdigest()
        _advance_fingerprint(conn, "news", digest, len(fresh))
    return len(fresh)


def insert_news_frame(conn: duckdb.DuckDBPyConnection, frame: pd.DataFrame, load: str = LIVE_SOURCE) -> int:
    """Bulk :func:`insert_news` of a frame with the news table's columns (ids already stored are kept),
    recorded as a write of ``load``."""
    before = int(conn.execute("SELECT count(*) FROM news").fetchall()[0][0])
    conn.register("batch_news", frame)
    try:
        conn.execute(
            "INSERT INTO news SELECT id, headline, source, CAST(published AS TIMESTAMP), "
            "CAST(known_at AS TIMESTAMP), url, CAST(tickers AS VARCHAR[]), tone FROM batch_news "
            "WHERE id NOT IN (SELECT id FROM news)"
        )
    finally:
        conn.unregister("batch_news")
    added = int(conn.execute("SELECT count(*) FROM news").fetchall()[0][0]) - before
    if added:
        _advance_fingerprint(conn, "news", _digest(frame[["id"]]), added, load)
    return added


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def replace_holdings(conn: duckdb.DuckDBPyConnection, fund: str, holdings: pd.DataFrame, as_of: date) -> int:
    """Store one dated holdings snapshot of ``fund`` (replacing a snapshot of the same date); rows."""
    frame = pd.DataFrame(
        {"fund": fund, "symbol": holdings["symbol"].astype(str), "weight": holdings["weight"], "as_of": as_of}
    )
    conn.execute("DELETE FROM holdings WHERE fund = ? AND as_of = ?", [fund, as_of])
    conn.register("live_holdings", frame)
    try:
        conn.execute(
            "INSERT INTO holdings SELECT CAST(fund AS VARCHAR), CAST(symbol AS VARCHAR), weight, "
            "CAST(as_of AS DATE) FROM live_holdings"
        )
    finally:
        conn.unregister("live_holdings")
    _advance_fingerprint(conn, f"holdings:{fund}:{as_of}", _digest(frame), len(frame))
    return len(frame)


def insert_quality_flags(conn: duckdb.DuckDBPyConnection, flags: Sequence[QualityFlag]) -> int:
    """Append what `update` cleaned on the way in to ``quality_flags`` (a flag without a readable date,
    such as an out-of-range timestamp, is stored with a NULL date); rows added."""
    if not flags:
        return 0
    frame = pd.DataFrame(
        [f.__dict__ for f in flags],
        columns=["source", "symbol", "date", "field", "original", "action", "reason"],
    )
    conn.register("live_flags", frame)
    try:
        conn.execute(
            "INSERT INTO quality_flags SELECT source, symbol, TRY_CAST(date AS DATE), field, original, "
            "action, reason FROM live_flags"
        )
    finally:
        conn.unregister("live_flags")
    return len(frame)


# ------------------------------------------------------------------------------------------- update log
@dataclass(frozen=True)
class UpdateLogRow:
    """One row of ``update_log``: what happened to one item (or '*' = a whole source run)."""

    source: str
    item: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows: int
    message: str


def log_update(conn: duckdb.DuckDBPyConnection, row: UpdateLogRow) -> None:
    """Append a row to the update log (inside the caller's transaction when there is one)."""
    conn.execute(
        "INSERT INTO update_log VALUES (?, ?, ?, ?, ?, ?, ?)",
        [row.source, row.item, row.started_at, row.finished_at, row.status, row.rows, row.message],
    )


def update_log(store: Store, limit: int = 100) -> list[UpdateLogRow]:
    """The newest update-log rows first."""
    rows = store.conn.execute(
        "SELECT * FROM update_log ORDER BY started_at DESC, finished_at DESC NULLS FIRST LIMIT ?", [limit]
    ).fetchall()
    return [UpdateLogRow(*r) for r in rows]


# --------------------------------------------------------------------------------------------- headlines
def load_headlines(store: Store, start: date, end: date) -> list[Headline]:
    """Headlines that became known between ``start`` and ``end`` inclusive, oldest first.

    Filtered by ``known_at`` (not by publication date) so an analysis as of ``end`` sees no headline that
    could not have been read by then. A store without a news table gives an empty list.
    """

    try:
        rows = store.conn.execute(
            "SELECT headline, known_at, source, tickers FROM news WHERE known_at >= ? AND known_at < ? "
            "ORDER BY known_at, id",
            [
                datetime.combine(start, datetime.min.time()),
                datetime.combine(end + timedelta(days=1), datetime.min.time()),
            ],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [
        Headline(text=r[0], known_at=r[1].date(), source=r[2] or "", tickers=tuple(r[3] or ())) for r in rows
    ]


# -------------------------------------------------------------------------------------------- narrations
@dataclass(frozen=True)
class NarrationRow:
    """LLM prose stored beside an analysis (never part of it)."""

    analysis_id: str
    model: str
    created_at: datetime
    text: str


def save_narration(store: Store, row: NarrationRow) -> None:
    """Store a narration (one statement)."""
    try:
        store.conn.execute(
            "INSERT INTO narrations VALUES (?, ?, ?, ?)",
            [row.analysis_id, row.model, row.created_at, row.text],
        )
    except duckdb.Error as exc:
        raise _friendly(exc, store.path) from None


def latest_narrations(store: Store, analysis_id: str) -> list[NarrationRow]:
    """Narrations of one analysis, newest first."""
    rows = store.conn.execute(
        "SELECT * FROM narrations WHERE analysis_id = ? ORDER BY created_at DESC", [analysis_id]
    ).fetchall()
    return [NarrationRow(*r) for r in rows]


# ----------------------------------------------------------------------------------------- fundamentals
def load_sec_facts(store: Store, known_by: date, max_age_days: int = 550) -> pd.DataFrame:
    """Latest annual (10-K, full fiscal year) SEC EDGAR value of each metric per company, as filed by
    ``known_by`` (one part of :func:`rotascope.fundamentals.load_fundamentals`, the one reader).

    Point in time: only filings with ``filed <= known_by`` count, and a restatement filed later never
    leaks back. Periods ending more than ``max_age_days`` before ``known_by`` are dropped as stale.
    Columns: symbol, metric, value, period_end, filed. Empty when no fundamentals were fetched.
    """
    try:
        return store.conn.execute(
            """SELECT symbol, metric, arg_max(value, filed) AS value, max(period_end) AS period_end,
                      max(filed) AS filed
               FROM (SELECT symbol, metric, value, period_end, filed,
                            rank() OVER (PARTITION BY symbol, metric ORDER BY period_end DESC) AS r
                     FROM fundamentals
                     WHERE filed <= ? AND form LIKE '10-K%' AND fiscal_period = 'FY'
                       AND period_end >= ? - INTERVAL (?) DAY
                       AND (period_start IS NULL OR period_end - period_start > 300))
               WHERE r = 1 GROUP BY symbol, metric ORDER BY symbol, metric""",
            [known_by, known_by, max_age_days],
        ).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["symbol", "metric", "value", "period_end", "filed"])
