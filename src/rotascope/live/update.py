"""`rotascope update`: fetch what is new from the live providers and store it, item by item.

What and why:

* **Incremental**: each item (a symbol, a FRED series, a company, a feed, a fund) is fetched from its last
  stored date on (``--since`` forces an earlier start), so a daily update asks for a few rows per item.
* **Per-item commits, resumable**: each item is written in its own transaction together with its
  update-log row. A run that dies (kill, Ctrl-C, crash) leaves its source marked ``running`` in the log;
  the next run skips the items that interrupted run already finished and continues with the rest.
* **Failures stay local**: a failing item or source is reported (with the exact provider message) and the
  others are still updated; the cached data of what failed is kept and listed with its age, so the user
  knows which numbers are now stale. After three "source unavailable" failures in a row the rest of that
  source is not attempted (no point hammering a host that is down).
* **Never a partial session**: the Yahoo provider holds back a session that has not closed; it is reported,
  never stored as a close.
* **Adjusted closes chain onto stored ones**: Yahoo re-adjusts its whole history after each dividend, so new
  bars are rescaled to continue the stored adjusted closes on the last common session (the factor is
  logged); a ratio far from 1 means the two histories disagree and the item fails instead.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rotascope.clock import now as clock_now
from rotascope.config import Settings, split_list
from rotascope.errors import ConfigError, ProviderError
from rotascope.fundamentals.ff6 import new_months
from rotascope.fundamentals.store import upsert_sec_annual
from rotascope.live.prefetch import Prefetch
from rotascope.providers import fred as fred_mod
from rotascope.providers import polygon as polygon_mod
from rotascope.providers import yahoo as yahoo_mod
from rotascope.providers.base import QualityFlag
from rotascope.providers.errors import (
    AccessDenied,
    BadResponse,
    ProviderConfigError,
    SourceUnavailable,
    Unreachable,
)
from rotascope.providers.fred import FRED_SERIES, FredFetcher
from rotascope.providers.french import ITEM as FRENCH_ITEM
from rotascope.providers.french import FrenchFetcher
from rotascope.providers.http import HttpClient
from rotascope.providers.ishares import ISharesFetcher
from rotascope.providers.news import NewsFetcher, headline_scores
from rotascope.providers.polygon import GroupedDaily, PolygonGroupedFetcher
from rotascope.providers.quality import check_incoming_bars, glitch_mask, unconfirmed_jump
from rotascope.providers.sec import MAX_PER_SECOND, SecFetcher
from rotascope.providers.yahoo import BarsResult, YahooFetcher
from rotascope.providers.yfinance_transport import YahooTransport, YfinanceTransport
from rotascope.redact import scrub
from rotascope.store.db import Store, open_store
from rotascope.store.live import (
    NewsRow,
    UpdateLogRow,
    ensure_instrument,
    ensure_live_schema,
    insert_news,
    insert_quality_flags,
    item_transaction,
    last_bar_date,
    last_filed,
    last_series_date,
    log_update,
    replace_holdings,
    stored_closes,
    upsert_bars,
    upsert_fundamentals,
    upsert_series,
    utcnow,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SOURCES", "ItemResult", "UpdateReport", "run_update", "yahoo_symbol"]

SOURCES = ("yahoo", "polygon", "fred", "sec", "news", "ishares", "french")
SOURCE_NAMES = {
    "yahoo": "Yahoo Finance",
    "polygon": "Polygon.io",
    "fred": "FRED",
    "sec": "SEC EDGAR",
    "news": "News feeds",
    "ishares": "iShares",
    "french": "Kenneth French library",
}
Failure = Literal["unreachable", "refused", "unavailable", "bad"]
"""Why an item failed: no reply at all, refused (key, setting), unavailable (5xx, 429), bad reply."""
BAR_OVERLAP_DAYS = 10
"""Bars are fetched from this many days before the first missing session, to chain onto a stored close."""
SERIES_OVERLAP_DAYS = 45
"""Series are fetched with this much overlap so a reply holding nothing at all is a fault, not 'no news'."""
MAX_CHAIN_DRIFT = 0.25
"""A stored/fetched close ratio beyond exp(±0.25) means the histories disagree: the item fails."""
BREAKER = 3
"""Consecutive 'source unavailable' failures after which the rest of a source is not attempted."""
RESUME_WINDOW = timedelta(hours=12)
"""An interrupted run younger than this is resumed (its finished items are skipped)."""
YAHOO_ALIASES = {"VIX": "^VIX"}
"""Stored symbol → Yahoo symbol where they differ (class shares use '-' on Yahoo: BRK.B → BRK-B)."""
KIND_BY_YAHOO_TYPE = {"ETF": "etf", "EQUITY": "stock", "INDEX": "index", "MUTUALFUND": "fund"}


def yahoo_symbol(symbol: str) -> str:
    """The Yahoo ticker of a stored symbol."""
    return YAHOO_ALIASES.get(symbol, symbol.replace(".", "-"))


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item: updated / unchanged / resumed / failed / skipped."""

    source: str
    item: str
    status: str
    rows: int = 0
    message: str = ""
    last: date | None = None
    """Last stored date of the item after the attempt (the cached data a failure falls back to)."""
    stale: bool = False
    """Failed or skipped, and the cached data is older than ``stale_days``."""
    flagged: tuple[str, ...] = ()
    """Reasons of the values cleaned on the way in (one per value; listed in ``quality_flags``)."""
    failure: Failure | None = None
    """Why an attempted item failed: no reply at all (offline), refused (a key or setting), unavailable
    (5xx, 429) or a bad reply."""


@dataclass
class UpdateReport:
    """Outcome of one `rotascope update` run, per item, plus notes on sources not run."""

    started_at: datetime
    items: list[ItemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.items if r.status in ("failed", "skipped")]

    @property
    def cleaned(self) -> list[ItemResult]:
        """Items whose reply held values that were cleaned (dropped, set to missing or held back)."""
        return [r for r in self.items if r.flagged]

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing needed cleaning (`update` exits 1 otherwise)."""
        return not self.failed and not self.cleaned

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.items)

    def summary_lines(self) -> list[str]:
        """Plain sentences: per source counts, then exactly what failed and which cached data is stale."""
        lines: list[str] = []
        for source in self.sources:
            mine = [r for r in self.items if r.source == source]
            if not mine:
                continue
            count = {s: sum(1 for r in mine if r.status == s) for s in ("updated", "unchanged", "resumed")}
            bad = [r for r in mine if r.status in ("failed", "skipped")]
            parts = [f"{count['updated']} updated ({sum(r.rows for r in mine):,} rows)"]
            parts.append(f"{count['unchanged']} already up to date")
            if count["resumed"]:
                parts.append(f"{count['resumed']} done by the interrupted previous run")
            if bad:
                parts.append(f"{len(bad)} FAILED")
            lines.append(f"{SOURCE_NAMES[source]}: {len(mine)} items: {', '.join(parts)}.")
        lines.extend(self.notes)
        flagged = [r for r in self.items if r.flagged]
        if flagged:
            listed = "; ".join(
                f"{r.item}: " + ", ".join(f"{n} × {why}" for why, n in Counter(r.flagged).most_common())
                for r in flagged[:20]
            )
            more = f" and {len(flagged) - 20} more items" if len(flagged) > 20 else ""
            lines.append(f"Cleaned on the way in (listed in table quality_flags): {listed}{more}.")
        for r in self.failed:
            kept = f"kept cached data to {r.last}" if r.last else "nothing cached"
            lines.append(f"FAILED {SOURCE_NAMES[r.source]} {r.item}: {r.message} ({kept}).")
        stale = [r for r in self.failed if r.stale]
        if stale:
            listed = ", ".join(f"{r.item} (last {r.last})" for r in stale[:20])
            more = f" and {len(stale) - 20} more" if len(stale) > 20 else ""
            lines.append(f"Now stale (not refreshed, older than the stale_days limit): {listed}{more}.")
        return lines


class _Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class _Run:
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


def run_update(
    settings: Settings,
    sources: Sequence[str] | None = None,
    since: date | None = None,
    symbols: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_item: Callable[[ItemResult], None] | None = None,
) -> UpdateReport:
    """Update the store from the live sources; never raises for a failing item or source.

    ``sources`` defaults to every source (those not configured — SEC without a contact User-Agent, news
    without feeds — are skipped with a note; named explicitly, they fail instead). ``symbols`` limits the
    Yahoo items. ``console`` (stderr) gets progress bars. ``now``/``sleep`` are injectable for tests;
    ``on_item`` is called after each item (a hook for progress reporting and tests).
    """
    chosen = list(sources) if sources else list(SOURCES)
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown:
        raise ConfigError(f"Unknown source(s) {', '.join(unknown)}: choose from {', '.join(SOURCES)}.")
    explicit = bool(sources)
    clock = now or clock_now  # ROTASCOPE_TODAY when set: the same today as every age and as-of
    report = UpdateReport(started_at=utcnow(), sources=[s for s in SOURCES if s in chosen])
    store = open_store(settings, write=True)
    run = _Run(settings, store, report, since, clock, sleep)
    try:
        store.require_data()
        ensure_live_schema(store)
        with _progress(console) as progress:
            for source in report.sources:
                plan = _plan(run, source, explicit, symbols)
                if plan is None:
                    continue
                items, handler = plan
                _run_source(run, source, items, handler, progress, on_item)
    finally:
        for client in run.clients:
            client.close()
        store.close()
    return report


@contextmanager
def _progress(console: Console | None) -> Iterator[Progress | None]:
    if console is None:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        yield progress


Handler = Callable[[_Run, str], Outcome]


def _plan(
    run: _Run, source: str, explicit: bool, symbols: Sequence[str] | None
) -> tuple[list[str], Handler] | None:
    """Items and the per-item handler of a source; None (with a note) when the source is not configured."""
    s = run.settings
    if source == "yahoo":
        fetcher = YahooFetcher(client=_yahoo_transport(run), base_url=s.yahoo_base_url, now=run.now)
        items = [x.strip().upper() for x in symbols] if symbols else _default_symbols(run)
        done = _resumable(run, source, utcnow())
        starts = _bar_fetch_starts(run, items)
        plan = [(i, start) for i, start in starts.items() if start is not None and i not in done]
        prefetch: Prefetch[BarsResult] = Prefetch(
            lambda sym, start: fetcher.fetch(symbol=yahoo_symbol(sym), start=start), plan, s.yahoo_threads
        )
        run.clients.append(prefetch)
        return items, lambda r, item: _yahoo_item(r, prefetch, item)
    if source == "polygon":
        if not s.polygon_api_key.strip():
            message = "no key: set polygon_api_key (or env POLYGON_API_KEY) to fetch member bars in bulk"
            _not_configured(run, source, explicit, message)
            return None
        bulk = PolygonGroupedFetcher(
            api_key=s.polygon_api_key, client=run.client(polygon_mod.SOURCE), base_url=s.polygon_base_url
        )
        days, anchor = _bulk_days(run)
        chain = _BulkChain(bulk, anchor, tuple(days))
        return [d.isoformat() for d in days], lambda r, item: _polygon_item(
            r, chain, date.fromisoformat(item)
        )
    if source == "fred":
        fred = FredFetcher(
            client=run.client(fred_mod.SOURCE),
            api_key=s.fred_api_key or None,
            graph_base_url=s.fred_base_url,
            api_base_url=s.fred_api_base_url,
        )
        return list(FRED_SERIES), lambda r, item: _fred_item(r, fred, item)
    if source == "sec":
        if "@" not in s.sec_user_agent:
            message = (
                "SEC EDGAR needs a User-Agent with contact details: set sec_user_agent "
                "(env ROTASCOPE_SEC_USER_AGENT, e.g. 'rotascope you@example.com')"
            )
            _not_configured(run, source, explicit, message)
            return None
        sec = SecFetcher(
            client=run.client(
                "SEC EDGAR", user_agent=s.sec_user_agent.strip(), max_per_second=MAX_PER_SECOND
            ),
            tickers_url=s.sec_tickers_url,
            data_base_url=s.sec_base_url,
        )
        companies = [c.upper() for c in split_list(s.sec_symbols)] or _top_members(run.store, s.sec_top_n)
        return companies, lambda r, item: _sec_item(r, sec, item)
    if source == "news":
        feeds = split_list(s.news_feeds)
        if not feeds:
            _not_configured(run, source, explicit, "no feeds configured: set news_feeds")
            return None
        news = NewsFetcher(client=run.client("News feed"), now=run.now)
        return feeds, lambda r, item: _news_item(r, news, item)
    if source == "french":
        if not s.french_url.strip():
            _not_configured(run, source, explicit, "no URL: set french_url")
            return None
        french = FrenchFetcher(client=run.client("Kenneth French library"), url=s.french_url.strip())
        return [FRENCH_ITEM], lambda r, item: _french_item(r, french, item)
    funds = [f.upper() for f in split_list(s.ishares_funds)]
    if not funds:
        _not_configured(run, source, explicit, "no funds configured: set ishares_funds")
        return None
    ishares = ISharesFetcher(client=run.client("iShares"), base_url=s.ishares_base_url)
    return funds, lambda r, item: _ishares_item(r, ishares, item)


def _yahoo_transport(run: _Run) -> YahooTransport:
    """yfinance (browser impersonation, cookie and crumb) unless ``yahoo_transport = 'httpx'``; a
    ``yahoo_base_url`` other than Yahoo's routes every Yahoo host there (a mirror, or the tests' server)."""
    s = run.settings
    if s.yahoo_transport == "httpx":
        return run.client(
            yahoo_mod.SOURCE, user_agent=yahoo_mod.BROWSER_USER_AGENT, max_per_second=s.yahoo_max_per_second
        )
    origin = None if s.yahoo_base_url.rstrip("/") == yahoo_mod.DEFAULT_BASE_URL else s.yahoo_base_url
    transport = YfinanceTransport(
        yahoo_mod.SOURCE,
        origin=origin,
        timeout=s.http_timeout,
        retries=s.http_retries,
        max_per_second=s.yahoo_max_per_second,
        cache_dir=s.home / "yfinance-cache",
        sleep=run.sleep,
    )
    run.clients.append(transport)
    return transport


def _bar_fetch_starts(run: _Run, symbols: Sequence[str]) -> dict[str, date | None]:
    """First date to fetch of each symbol (None: already up to date), from one read of the stored ends."""
    rows = run.store.conn.execute(
        "SELECT symbol, max(date) FROM bars WHERE list_contains(?, symbol) GROUP BY symbol", [list(symbols)]
    ).fetchall()
    last = {str(r[0]): r[1] for r in rows}
    starts: dict[str, date | None] = {}
    for symbol in symbols:
        write_from = _write_from(run, last.get(symbol))
        starts[symbol] = None if write_from > run.today else write_from - timedelta(days=BAR_OVERLAP_DAYS)
    return starts


def _not_configured(run: _Run, source: str, explicit: bool, message: str) -> None:
    if explicit:
        run.report.items.append(ItemResult(source, "(settings)", "failed", 0, message + "."))
    else:
        run.report.notes.append(f"{SOURCE_NAMES[source]}: skipped, {message}.")


def _default_symbols(run: _Run) -> list[str]:
    # with a bulk source key the members come from Polygon.io: Yahoo keeps to the ETFs and VIX
    etfs_only = run.settings.update_symbols == "etfs" or bool(run.settings.polygon_api_key.strip())
    kinds = "kind <> 'stock'" if etfs_only else "TRUE"
    rows = run.store.conn.execute(
        f"SELECT symbol FROM instruments WHERE {kinds} ORDER BY kind <> 'stock' DESC, symbol"
    ).fetchall()
    return [r[0] for r in rows]


def _top_members(store: Store, n: int) -> list[str]:
    rows = store.conn.execute(
        "SELECT symbol FROM instruments WHERE kind = 'stock' AND weight_r2000 IS NOT NULL "
        "ORDER BY weight_r2000 DESC, symbol LIMIT ?",
        [n],
    ).fetchall()
    return [r[0] for r in rows]


# --------------------------------------------------------------------------------------------- the loop
def _run_source(
    run: _Run,
    source: str,
    items: list[str],
    handler: Handler,
    progress: Progress | None,
    on_item: Callable[[ItemResult], None] | None,
) -> None:
    """Run every item of one source, bracketed by a '*' log row that stays 'running' if the process dies
    (which is how the next run knows to resume); stop early when the source refuses or is down."""
    started = utcnow()
    done = _resumable(run, source, started)
    log_update(run.store.conn, UpdateLogRow(source, "*", started, None, "running", 0, f"{len(items)} items"))
    task = progress.add_task(SOURCE_NAMES[source], total=len(items)) if progress is not None else None
    in_a_row = 0
    abort: str | None = None
    rows = 0
    try:
        for item in items:
            label = scrub(item)  # a feed URL may carry a token: never printed or logged
            if abort is not None:
                last = _last(run, source, item)
                result = _with_stale(run, ItemResult(source, label, "skipped", 0, abort, last))
            elif label in done:
                result = ItemResult(source, label, "resumed", 0, "finished by the interrupted previous run")
            else:
                result, cause = _attempt(run, source, item, handler)
                in_a_row = in_a_row + 1 if cause == "unavailable" else 0
                if cause == "refused":
                    abort = f"not attempted: {SOURCE_NAMES[source]} refused the run ({result.message})"
                elif in_a_row >= BREAKER:
                    abort = f"not attempted after {BREAKER} failures in a row ({result.message})"
            rows += result.rows
            run.report.items.append(result)
            if on_item is not None:
                on_item(result)
            if progress is not None and task is not None:
                progress.advance(task)
    except Exception:  # unexpected: the run is over, but the log must not read 'running'
        _finish_source(run, source, started, len(items), rows, "aborted")
        raise
    # an interrupt (Ctrl-C, kill) skips this on purpose: 'running' is how the next run knows to resume
    _finish_source(run, source, started, len(items), rows, "finished")


def _finish_source(run: _Run, source: str, started: datetime, n: int, rows: int, status: str) -> None:
    failed = sum(1 for r in run.report.items if r.source == source and r.status in ("failed", "skipped"))
    if status != "aborted" and failed:
        status = "finished with failures"
    run.store.conn.execute(
        "UPDATE update_log SET finished_at = ?, status = ?, rows = ?, message = ? "
        "WHERE source = ? AND item = '*' AND started_at = ?",
        [utcnow(), status, rows, f"{n} items, {failed} failed", source, started],
    )


def _resumable(run: _Run, source: str, now: datetime) -> set[str]:
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


def _attempt(run: _Run, source: str, item: str, handler: Handler) -> tuple[ItemResult, str]:
    """Run one item; a provider failure becomes a 'failed' result (logged) plus its cause class:
    'refused' (access denied / not configured: the whole source will fail), 'unavailable' (counts towards
    the breaker), 'bad' (this item only) or '' on success."""
    started = utcnow()
    label = scrub(item)
    try:
        try:
            done = handler(run, item)
        except (ProviderError, ArithmeticError, ValueError, LookupError, TypeError) as exc:
            # out-of-range numbers in a reply that parsed (OverflowError, ValueError) fail this item alone
            text = scrub(str(exc)) if isinstance(exc, ProviderError) else _unusable(source, label, exc)
            log_update(run.store.conn, UpdateLogRow(source, label, started, utcnow(), "failed", 0, text))
            last = _last(run, source, item)
            kind = _failure(exc)
            result = _with_stale(run, ItemResult(source, label, "failed", 0, text, last, failure=kind))
            return result, "unavailable" if kind == "unreachable" else kind
        last = _last(run, source, item)
        return ItemResult(source, label, done.status, done.rows, done.message, last, flagged=done.flagged), ""
    finally:
        run.store.release()  # one write window per item: readers and other writers get in between


def _failure(exc: Exception) -> Failure:
    if isinstance(exc, AccessDenied | ProviderConfigError):
        return "refused"
    if isinstance(exc, Unreachable):
        return "unreachable"
    return "unavailable" if isinstance(exc, SourceUnavailable) else "bad"


def _unusable(source: str, item: str, exc: Exception) -> str:
    """One sentence for a reply that parsed but holds values rotascope cannot use."""
    detail = scrub(str(exc))[:160].rstrip(".")
    return (
        f"{SOURCE_NAMES[source]} sent a reply for {item} with a value rotascope cannot use "
        f"({type(exc).__name__}: {detail}); nothing was stored for it."
    )


def _with_stale(run: _Run, result: ItemResult) -> ItemResult:
    return ItemResult(**{**result.__dict__, "stale": run.is_stale(result.last)})


def _last(run: _Run, source: str, item: str) -> date | None:
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


def _commit(run: _Run, source: str, item: str, started: datetime, outcome: Outcome) -> Outcome:
    """Log a no-write outcome (autocommit)."""
    log_update(
        run.store.conn,
        UpdateLogRow(source, scrub(item), started, utcnow(), outcome.status, outcome.rows, outcome.message),
    )
    return outcome


# ---------------------------------------------------------------------------------------------- sources
def _write_from(run: _Run, last: date | None) -> date:
    """First date to write: --since when given, else the day after the last stored one, else the
    configured history window back from today."""
    if run.since is not None:
        return run.since
    if last is not None:
        return last + timedelta(days=1)
    return run.today - timedelta(days=run.settings.update_history_days)


def _yahoo_item(run: _Run, prefetch: Prefetch[BarsResult], symbol: str) -> Outcome:
    started = utcnow()
    today = run.today
    last = last_bar_date(run.store, symbol)
    write_from = _write_from(run, last)
    if write_from > today:
        return _commit(run, "yahoo", symbol, started, Outcome("unchanged", 0, "already up to date"))
    fetch_start = write_from - timedelta(days=BAR_OVERLAP_DAYS)
    run.store.release()  # no store lock held while waiting on the network
    result = prefetch.get(symbol, fetch_start)
    notes: list[str] = []
    if result.dropped_partial:
        days = ", ".join(str(p.date) for p in result.dropped_partial)
        notes.append(f"held back unfinished session {days} (not a close yet)")
    bars = result.bars.copy()
    bars["symbol"] = symbol
    bars = bars[bars["date"].dt.date <= today]
    s = run.settings
    bars, cleaned = check_incoming_bars(bars, yahoo_mod.SOURCE, s.spike_up, s.spike_down, s.spike_reversal)
    flags = [*result.flags, *(f for f in cleaned if f.date >= str(write_from))]
    closes = bars["close"].to_numpy(dtype=float)
    newest = bars["date"].max().date() if not bars.empty else None
    if newest and newest >= write_from and unconfirmed_jump(closes, s.spike_up, s.spike_down):
        notes.append(f"held back {newest}: a one-day jump beyond the spike limits, judged next session")
        why = "one-day jump beyond the spike limits, not confirmed until the next session"
        flags.append(
            QualityFlag(yahoo_mod.SOURCE, symbol, str(newest), "close", closes[-1], "held back", why)
        )
        bars = bars.iloc[:-1]
    anchors = stored_closes(run.store, symbol, fetch_start, write_from - timedelta(days=1))
    fetched = dict(zip(bars["date"].dt.date, bars["close"].astype(float), strict=True))
    common = sorted(d for d in anchors if d in fetched)
    factor = 1.0
    if common:
        day = common[-1]
        factor = anchors[day] / fetched[day]
        if not math.isfinite(factor) or abs(math.log(factor)) > MAX_CHAIN_DRIFT:
            raise BadResponse(
                f"Yahoo Finance closes for {symbol} do not line up with the stored ones (stored "
                f"{anchors[day]:.4f} vs fetched {fetched[day]:.4f} on {day}); nothing was stored",
                source=yahoo_mod.SOURCE,
                item=symbol,
            )
        if abs(factor - 1) > 1e-6:
            notes.append(f"rescaled by {factor:.6f} to continue the stored adjusted closes of {day}")
    elif last is not None and run.since is None:
        notes.append("no overlapping session with the stored closes: stored as fetched")
    new = bars[bars["date"].dt.date >= write_from].copy()
    for col in ("open", "high", "low", "close"):
        new[col] = (new[col] * factor).round(6)
    reasons = tuple(f.reason for f in flags)
    if flags:
        notes.append(f"{len(flags)} values cleaned (listed in quality_flags)")
    if new.empty:
        message = "; ".join(["no new finished session", *notes])
        with item_transaction(run.store) as conn:
            insert_quality_flags(conn, flags)
        return _commit(run, "yahoo", symbol, started, Outcome("unchanged", 0, message, reasons))
    first, final = new["date"].min().date(), new["date"].max().date()
    message = "; ".join([f"{len(new)} sessions {first}..{final}", *notes])
    with item_transaction(run.store) as conn:
        insert_quality_flags(conn, flags)
        rows = upsert_bars(conn, new, run.today)
        kind = KIND_BY_YAHOO_TYPE.get(result.instrument_type or "", "stock")
        if ensure_instrument(conn, symbol, kind):
            message += f"; new instrument ({kind})"
        log_update(conn, UpdateLogRow("yahoo", symbol, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message, reasons)


BULK_CLOSE_HOUR_UTC = 22
"""A grouped-daily bar of today is asked for only after this hour (UTC): the U.S. session has closed."""


def _bulk_days(run: _Run) -> tuple[list[date], date | None]:
    """Weekdays to fetch in bulk (after the members' last stored session, today only once closed) and that
    last session (the anchor the new closes are chained onto)."""
    rows = run.store.conn.execute(
        "SELECT max(b.date) FROM bars b JOIN instruments i USING (symbol) WHERE i.kind = 'stock'"
    ).fetchall()
    last = rows[0][0] if rows and isinstance(rows[0][0], date) else None
    first = _write_from(run, last)
    now = run.now().astimezone(UTC)
    end = run.today if now.hour >= BULK_CLOSE_HOUR_UTC else run.today - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    return [d for d in days if d.weekday() < 5], last


@dataclass
class _BulkChain:
    """The bulk fetcher and, once asked, the anchor session's bulk closes (one request for every symbol)."""

    fetcher: PolygonGroupedFetcher
    anchor: date | None
    days: tuple[date, ...] = ()
    """The batch's sessions, in order (a jump is judged by the next one)."""
    anchor_factors: dict[str, float] | None = None
    requests: int = 0
    ahead: dict[date, GroupedDaily] = field(default_factory=dict)
    """Sessions fetched early to judge the day before, kept for their own item."""

    def fetch(self, day: date) -> GroupedDaily:
        if day in self.ahead:
            return self.ahead.pop(day)
        self.requests += 1
        return self.fetcher.fetch(date=day)

    def next_session(self, day: date) -> GroupedDaily | None:
        """The batch's next day after ``day`` (asked once, kept for its own item); None when ``day`` is the
        batch's last or the next cannot be fetched now (its own item will fail and say why)."""
        later = [d for d in self.days if d > day]
        if not later:
            return None
        if later[0] not in self.ahead:
            self.requests += 1
            try:
                self.ahead[later[0]] = self.fetcher.fetch(date=later[0])
            except ProviderError:
                return None
        return self.ahead[later[0]]

    def factors(self, run: _Run) -> dict[str, float]:
        """Stored / bulk close per symbol on the anchor session (absent: no common session); asked once."""
        if self.anchor is None or run.since is not None:
            return {}
        if self.anchor_factors is None:
            got = self.fetch(self.anchor).bars
            bulk = dict(zip(got["symbol"], got["close"].astype(float), strict=True))
            stored = run.store.conn.execute(
                "SELECT symbol, close FROM bars WHERE date = ?", [self.anchor]
            ).fetchall()
            self.anchor_factors = {
                str(s): float(c) / bulk[str(s)] for s, c in stored if c and bulk.get(str(s), 0) > 0
            }
        return self.anchor_factors


def _polygon_item(run: _Run, chain: _BulkChain, day: date) -> Outcome:
    """One date of every stored member from one grouped-daily request: cleaned, chained, one transaction."""
    started = utcnow()
    item = day.isoformat()
    run.store.release()
    result = chain.fetch(day)
    members = {
        str(r[0])
        for r in run.store.conn.execute("SELECT symbol FROM instruments WHERE kind = 'stock'").fetchall()
    }
    bars = result.bars[result.bars["symbol"].isin(members)].reset_index(drop=True)
    if bars.empty:
        return _commit(run, "polygon", item, started, Outcome("unchanged", 0, "no trading that day"))
    s = run.settings
    bars, flags = check_incoming_bars(bars, polygon_mod.SOURCE, s.spike_up, s.spike_down, s.spike_reversal)
    factors = chain.factors(run)
    factor = bars["symbol"].map(factors).astype(float)
    off = (factor - 1.0).abs().gt(0) & ~factor.between(math.exp(-MAX_CHAIN_DRIFT), math.exp(MAX_CHAIN_DRIFT))
    notes = [f"{len(bars)} members"]
    if off.any():
        notes.append(f"{int(off.sum())} left out: their closes do not line up with the stored ones")
        bars, factor = bars[~off].reset_index(drop=True), factor[~off].reset_index(drop=True)
    rescaled = int((factor.notna() & (factor - 1.0).abs().gt(1e-6)).sum())
    if rescaled:
        notes.append(f"{rescaled} rescaled to continue the stored adjusted closes of {chain.anchor}")
    for col in ("open", "high", "low", "close"):
        bars[col] = (bars[col] * factor.fillna(1.0)).round(6)
    bars, jumps = _drop_jumps(run, chain, bars, day)
    flags += jumps
    if jumps:
        notes.append(f"{len(jumps)} dropped: a one-day jump that reverses next day or is not confirmed yet")
    reasons = tuple(f.reason for f in flags)
    if flags:
        notes.append(f"{len(flags)} values cleaned (listed in quality_flags)")
    message = "; ".join(notes)
    with item_transaction(run.store) as conn:
        insert_quality_flags(conn, flags)
        rows = upsert_bars(conn, bars, run.today)
        log_update(conn, UpdateLogRow("polygon", item, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message, reasons)


def _drop_jumps(
    run: _Run, chain: _BulkChain, bars: pd.DataFrame, day: date
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """Bars whose close jumps beyond the spike limits from the member's last stored close, judged by `init`'s
    rule (``glitch_mask``) with the batch's next session: a jump the next close undoes is a one-day spike
    (dropped); one it keeps is a real move (stored); without a next close in the batch it is held back."""
    last = dict(
        run.store.conn.execute(
            "SELECT symbol, arg_max(close, date) FROM bars WHERE date < ? AND close > 0 GROUP BY symbol",
            [day],
        ).fetchall()
    )
    s = run.settings
    prev = bars["symbol"].map(last).astype(float)
    jump = bars["close"].astype(float) / prev - 1.0
    jumped = ((jump > s.spike_up) | (jump < -s.spike_down)).to_numpy()
    if not jumped.any():
        return bars, []
    symbols = bars["symbol"][jumped]
    following = chain.next_session(day)
    later = (
        {} if following is None else dict(zip(following.bars["symbol"], following.bars["close"], strict=True))
    )
    factor = symbols.map(chain.factors(run)).astype(float).fillna(1.0)  # the scale of today's stored closes
    nxt = symbols.map(later).astype(float) * factor
    triple = np.vstack([prev[jumped].to_numpy(), bars["close"][jumped].to_numpy(dtype=float), nxt.to_numpy()])
    spike = glitch_mask(triple, s.spike_up, s.spike_down, s.spike_reversal)[1]
    held = ~spike & ~(nxt.to_numpy() > 0)  # no next close to judge by: not confirmed yet
    drop = np.zeros(len(bars), dtype=bool)
    drop[np.flatnonzero(jumped)[spike | held]] = True
    why = {
        True: "one-day spike that reverses next day",
        False: "one-day jump not confirmed until the next session (the batch has no later close)",
    }
    flags = [
        QualityFlag(polygon_mod.SOURCE, str(sym), day.isoformat(), "close", float(c), "bar dropped", why[sp])
        for sym, c, sp, out in zip(symbols, bars["close"][jumped], spike, spike | held, strict=True)
        if out
    ]
    return bars[~drop].reset_index(drop=True), flags


def _fred_item(run: _Run, fetcher: FredFetcher, fred_id: str) -> Outcome:
    started = utcnow()
    spec = FRED_SERIES[fred_id]
    today = run.today
    last = last_series_date(run.store, spec.series_id)
    write_from = _write_from(run, last)
    if write_from > today:
        return _commit(run, "fred", fred_id, started, Outcome("unchanged", 0, "already up to date"))
    fetch_start = write_from - timedelta(days=SERIES_OVERLAP_DAYS) if run.since is None else write_from
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(series=fred_id, start=fetch_start)
    frame = result.frame[result.frame["date"].dt.date >= write_from]
    if frame.empty:
        return _commit(run, "fred", fred_id, started, Outcome("unchanged", 0, f"no observation after {last}"))
    with item_transaction(run.store) as conn:
        written = upsert_series(conn, frame, today)
        first, final = frame["date"].min().date(), frame["date"].max().date()
        message = f"{spec.series_id}: {written.rows} observations {first}..{final}"
        if written.revised:
            message += f"; {written.revised} revised (known from {today})"
        status = "updated" if written.rows else "unchanged"
        log_update(conn, UpdateLogRow("fred", fred_id, started, utcnow(), status, written.rows, message))
    return Outcome(status, written.rows, message)


def _sec_item(run: _Run, fetcher: SecFetcher, symbol: str) -> Outcome:
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(symbol=symbol)
    facts = result.facts
    last = last_filed(run.store, symbol)
    cutoff = run.since or last
    if cutoff is not None:
        facts = facts[facts["filed"].dt.date >= cutoff]
    if facts.empty:
        return _commit(run, "sec", symbol, started, Outcome("unchanged", 0, f"no filing after {last}"))
    with item_transaction(run.store) as conn:
        rows = upsert_fundamentals(conn, facts, run.now())
        years = upsert_sec_annual(conn, facts)  # the same fund_annual table the embedded ratios fill
        message = f"{rows} facts, {years} new fiscal years (filed up to {facts['filed'].max().date()})"
        status = "updated" if rows else "unchanged"
        log_update(conn, UpdateLogRow("sec", symbol, started, utcnow(), status, rows, message))
    return Outcome(status, rows, message)


def _french_item(run: _Run, fetcher: FrenchFetcher, item: str) -> Outcome:
    """The 6 portfolios file: its months after the stored ones, all six series in one transaction."""
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch()
    new = new_months(run.store, result.frame, run.today)
    if new.empty:
        message = f"no month after {_last(run, 'french', item)} (the file ends {result.last_month:%Y-%m})"
        return _commit(run, "french", item, started, Outcome("unchanged", 0, message))
    with item_transaction(run.store) as conn:
        rows = sum(upsert_series(conn, part, run.today).rows for _, part in new.groupby("series_id"))
        span = f"{min(new['date']):%Y-%m}..{max(new['date']):%Y-%m}"
        message = f"{rows} monthly values {span}, known from {run.today}"
        log_update(conn, UpdateLogRow("french", item, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message)


def _news_item(run: _Run, fetcher: NewsFetcher, url: str) -> Outcome:
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(url=url)
    kept = [i for i in result.items if run.since is None or i.published.date() >= run.since]
    tones = headline_scores(kept)
    items = [
        NewsRow(i.id, i.headline, i.source, i.published, i.known_at, i.url, i.tickers, tone)
        for i, tone in zip(kept, tones, strict=True)
    ]
    with item_transaction(run.store) as conn:
        rows = insert_news(conn, items)
        message = f"{rows} new of {len(result.items)} headlines"
        if result.recovered:
            message += " (malformed feed, entries recovered)"
        status = "updated" if rows else "unchanged"
        log_update(conn, UpdateLogRow("news", scrub(url), started, utcnow(), status, rows, message))
    return Outcome(status, rows, message)


def _ishares_item(run: _Run, fetcher: ISharesFetcher, fund: str) -> Outcome:
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(fund=fund)
    have = run.store.conn.execute(
        "SELECT count(*) FROM holdings WHERE fund = ? AND as_of = ?", [fund, result.as_of]
    ).fetchall()[0][0]
    if have:
        return _commit(
            run, "ishares", fund, started, Outcome("unchanged", 0, f"holdings of {result.as_of} stored")
        )
    with item_transaction(run.store) as conn:
        rows = replace_holdings(conn, fund, result.holdings, result.as_of)
        message = f"{rows} equity holdings as of {result.as_of}"
        log_update(conn, UpdateLogRow("ishares", fund, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message)
