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

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rotascope.clock import now as clock_now
from rotascope.config import Settings
from rotascope.errors import ConfigError, ProviderError
from rotascope.live.plan import plan_source, yahoo_symbol
from rotascope.live.report import SOURCE_NAMES, SOURCES, Failure, ItemResult, UpdateReport
from rotascope.live.state import Handler, UpdateRun, last_stored, resumable
from rotascope.providers.errors import AccessDenied, ProviderConfigError, SourceUnavailable, Unreachable
from rotascope.redact import scrub
from rotascope.store.db import open_store
from rotascope.store.live import UpdateLogRow, ensure_live_schema, log_update, utcnow

__all__ = ["SOURCES", "SOURCE_NAMES", "ItemResult", "UpdateReport", "run_update", "yahoo_symbol"]

BREAKER = 3
"""Consecutive 'source unavailable' failures after which the rest of a source is not attempted."""


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
    run = UpdateRun(settings, store, report, since, clock, sleep)
    try:
        store.require_data()
        ensure_live_schema(store)
        with _progress(console) as progress:
            for source in report.sources:
                plan = plan_source(run, source, explicit, symbols)
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


# --------------------------------------------------------------------------------------------- the loop
def _run_source(
    run: UpdateRun,
    source: str,
    items: list[str],
    handler: Handler,
    progress: Progress | None,
    on_item: Callable[[ItemResult], None] | None,
) -> None:
    """Run every item of one source, bracketed by a '*' log row that stays 'running' if the process dies
    (which is how the next run knows to resume); stop early when the source refuses or is down."""
    started = utcnow()
    done = resumable(run, source, started)
    log_update(run.store.conn, UpdateLogRow(source, "*", started, None, "running", 0, f"{len(items)} items"))
    task = progress.add_task(SOURCE_NAMES[source], total=len(items)) if progress is not None else None
    in_a_row = 0
    abort: str | None = None
    rows = 0
    try:
        for item in items:
            label = scrub(item)  # a feed URL may carry a token: never printed or logged
            if abort is not None:
                last = last_stored(run, source, item)
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


def _finish_source(run: UpdateRun, source: str, started: datetime, n: int, rows: int, status: str) -> None:
    failed = sum(1 for r in run.report.items if r.source == source and r.status in ("failed", "skipped"))
    if status != "aborted" and failed:
        status = "finished with failures"
    run.store.conn.execute(
        "UPDATE update_log SET finished_at = ?, status = ?, rows = ?, message = ? "
        "WHERE source = ? AND item = '*' AND started_at = ?",
        [utcnow(), status, rows, f"{n} items, {failed} failed", source, started],
    )


def _attempt(run: UpdateRun, source: str, item: str, handler: Handler) -> tuple[ItemResult, str]:
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
            last = last_stored(run, source, item)
            kind = _failure(exc)
            result = _with_stale(run, ItemResult(source, label, "failed", 0, text, last, failure=kind))
            return result, "unavailable" if kind == "unreachable" else kind
        last = last_stored(run, source, item)
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


def _with_stale(run: UpdateRun, result: ItemResult) -> ItemResult:
    return ItemResult(**{**result.__dict__, "stale": run.is_stale(result.last)})
