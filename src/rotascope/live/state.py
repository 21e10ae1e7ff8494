"""The shared state of one update run and what every source's items use: the stored end of an item,
the first date to write, the log row of a no-write outcome, the items an interrupted run finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from rotascope.config import Settings
from rotascope.live.report import UpdateReport
from rotascope.providers.fred import FRED_SERIES
from rotascope.providers.http import HttpClient
from rotascope.redact import scrub
from rotascope.store.db import Store
from rotascope.store.live import UpdateLogRow, last_bar_date, last_filed, last_series_date, log_update, utcnow

BAR_OVERLAP_DAYS = 10
"""Bars are fetched from this many days before the first missing session, to chain onto a stored close."""
MAX_CHAIN_DRIFT = 0.25
"""A stored/fetched close ratio beyond exp(±0.25) means the histories disagree: the item fails."""
RESUME_WINDOW = timedelta(hours=12)
"""An interrupted run younger than this is resumed (its finished items are skipped)."""


class _Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class UpdateRun:
    """Shared state of one update run (settings, clock, store, report)."""

    settings: Settings
    store: Store
    report: UpdateReport
    since: date | None
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    clients: list[_Closable] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now().astimezone(UTC).date()

    def client(self, source: str, **kwargs: Any) -> HttpClient:
        client = HttpClient(
            source,
            timeout=self.settings.http_timeout,
            retries=self.settings.http_retries,
            sleep=self.sleep,
            **kwargs,
        )
        self.clients.append(client)
        return client

    def is_stale(self, last: date | None) -> bool:
        return last is None or (self.today - last).days > self.settings.stale_days


@dataclass(frozen=True)
class Outcome:
    """What an item that did not fail did: status, rows written, message, reasons of cleaned values."""

    status: str
    rows: int
    message: str
    flagged: tuple[str, ...] = ()


Handler = Callable[[UpdateRun, str], Outcome]


def resumable(run: UpdateRun, source: str, now: datetime) -> set[str]:
    """Items finished by an interrupted (still 'running') recent run of ``source``."""
    last = run.store.conn.execute(
        "SELECT started_at, status FROM update_log WHERE source = ? AND item = '*' "
        "ORDER BY started_at DESC LIMIT 1",
        [source],
    ).fetchall()
    if not last or last[0][1] != "running" or now - last[0][0] > RESUME_WINDOW:
        return set()
    rows = run.store.conn.execute(
        "SELECT DISTINCT item FROM update_log WHERE source = ? AND item <> '*' AND started_at >= ? "
        "AND status IN ('updated', 'unchanged')",
        [source, last[0][0]],
    ).fetchall()
    return {r[0] for r in rows}


def last_stored(run: UpdateRun, source: str, item: str) -> date | None:
    store = run.store
    if source == "yahoo":
        return last_bar_date(store, item)
    if source == "polygon":  # a bulk item is a date: the newest stored session
        rows = store.conn.execute("SELECT max(date) FROM bars").fetchall()
        found = rows[0][0] if rows else None
        return found if isinstance(found, date) else None
    if source == "fred":
        spec = FRED_SERIES.get(item)
        return last_series_date(store, spec.series_id) if spec else None
    if source == "sec":
        return last_filed(store, item)
    if source == "french":
        return last_series_date(store, "ff6_beme_small")
    if source == "news":
        rows = store.conn.execute("SELECT max(known_at) FROM news").fetchall()
        value = rows[0][0] if rows else None
        return value.date() if isinstance(value, datetime) else None
    rows = store.conn.execute("SELECT max(as_of) FROM holdings WHERE fund = ?", [item]).fetchall()
    found = rows[0][0] if rows else None
    return found if isinstance(found, date) else None


def commit_outcome(run: UpdateRun, source: str, item: str, started: datetime, outcome: Outcome) -> Outcome:
    """Log a no-write outcome (autocommit)."""
    log_update(
        run.store.conn,
        UpdateLogRow(source, scrub(item), started, utcnow(), outcome.status, outcome.rows, outcome.message),
    )
    return outcome


def first_to_write(run: UpdateRun, last: date | None) -> date:
    """First date to write: --since when given, else the day after the last stored one, else the
    configured history window back from today."""
    if run.since is not None:
        return run.since
    if last is not None:
        return last + timedelta(days=1)
    return run.today - timedelta(days=run.settings.update_history_days)
