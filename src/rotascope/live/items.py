"""One item of each per-item source: a Yahoo symbol, a FRED series, a company's SEC facts, the French
portfolios file, a news feed, an iShares fund; each fetched from its stored end on and written in one
transaction."""

from __future__ import annotations

import math
from datetime import timedelta

from rotascope.fundamentals.ff6 import new_months
from rotascope.fundamentals.store import upsert_sec_annual
from rotascope.live.prefetch import Prefetch
from rotascope.live.state import (
    BAR_OVERLAP_DAYS,
    MAX_CHAIN_DRIFT,
    Outcome,
    UpdateRun,
    commit_outcome,
    first_to_write,
    last_stored,
)
from rotascope.providers import yahoo as yahoo_mod
from rotascope.providers.base import QualityFlag
from rotascope.providers.errors import BadResponse
from rotascope.providers.fred import FRED_SERIES, FredFetcher
from rotascope.providers.french import FrenchFetcher
from rotascope.providers.ishares import ISharesFetcher
from rotascope.providers.news import NewsFetcher, headline_scores
from rotascope.providers.quality import check_incoming_bars, unconfirmed_jump
from rotascope.providers.sec import SecFetcher
from rotascope.providers.yahoo import BarsResult
from rotascope.redact import scrub
from rotascope.store.live import (
    NewsRow,
    UpdateLogRow,
    ensure_instrument,
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

SERIES_OVERLAP_DAYS = 45
"""Series are fetched with this much overlap so a reply holding nothing at all is a fault, not 'no news'."""
KIND_BY_YAHOO_TYPE = {"ETF": "etf", "EQUITY": "stock", "INDEX": "index", "MUTUALFUND": "fund"}


def yahoo_item(run: UpdateRun, prefetch: Prefetch[BarsResult], symbol: str) -> Outcome:
    started = utcnow()
    today = run.today
    last = last_bar_date(run.store, symbol)
    write_from = first_to_write(run, last)
    if write_from > today:
        return commit_outcome(run, "yahoo", symbol, started, Outcome("unchanged", 0, "already up to date"))
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
        return commit_outcome(run, "yahoo", symbol, started, Outcome("unchanged", 0, message, reasons))
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


def fred_item(run: UpdateRun, fetcher: FredFetcher, fred_id: str) -> Outcome:
    started = utcnow()
    spec = FRED_SERIES[fred_id]
    today = run.today
    last = last_series_date(run.store, spec.series_id)
    write_from = first_to_write(run, last)
    if write_from > today:
        return commit_outcome(run, "fred", fred_id, started, Outcome("unchanged", 0, "already up to date"))
    fetch_start = write_from - timedelta(days=SERIES_OVERLAP_DAYS) if run.since is None else write_from
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(series=fred_id, start=fetch_start)
    frame = result.frame[result.frame["date"].dt.date >= write_from]
    if frame.empty:
        return commit_outcome(
            run, "fred", fred_id, started, Outcome("unchanged", 0, f"no observation after {last}")
        )
    with item_transaction(run.store) as conn:
        written = upsert_series(conn, frame, today)
        first, final = frame["date"].min().date(), frame["date"].max().date()
        message = f"{spec.series_id}: {written.rows} observations {first}..{final}"
        if written.revised:
            message += f"; {written.revised} revised (known from {today})"
        status = "updated" if written.rows else "unchanged"
        log_update(conn, UpdateLogRow("fred", fred_id, started, utcnow(), status, written.rows, message))
    return Outcome(status, written.rows, message)


def sec_item(run: UpdateRun, fetcher: SecFetcher, symbol: str) -> Outcome:
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(symbol=symbol)
    facts = result.facts
    last = last_filed(run.store, symbol)
    cutoff = run.since or last
    if cutoff is not None:
        facts = facts[facts["filed"].dt.date >= cutoff]
    if facts.empty:
        return commit_outcome(run, "sec", symbol, started, Outcome("unchanged", 0, f"no filing after {last}"))
    with item_transaction(run.store) as conn:
        rows = upsert_fundamentals(conn, facts, run.now())
        years = upsert_sec_annual(conn, facts)  # the same fund_annual table the embedded ratios fill
        message = f"{rows} facts, {years} new fiscal years (filed up to {facts['filed'].max().date()})"
        status = "updated" if rows else "unchanged"
        log_update(conn, UpdateLogRow("sec", symbol, started, utcnow(), status, rows, message))
    return Outcome(status, rows, message)


def french_item(run: UpdateRun, fetcher: FrenchFetcher, item: str) -> Outcome:
    """The 6 portfolios file: its months after the stored ones, all six series in one transaction."""
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch()
    new = new_months(run.store, result.frame, run.today)
    if new.empty:
        message = (
            f"no month after {last_stored(run, 'french', item)} (the file ends {result.last_month:%Y-%m})"
        )
        return commit_outcome(run, "french", item, started, Outcome("unchanged", 0, message))
    with item_transaction(run.store) as conn:
        rows = sum(upsert_series(conn, part, run.today).rows for _, part in new.groupby("series_id"))
        span = f"{min(new['date']):%Y-%m}..{max(new['date']):%Y-%m}"
        message = f"{rows} monthly values {span}, known from {run.today}"
        log_update(conn, UpdateLogRow("french", item, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message)


def news_item(run: UpdateRun, fetcher: NewsFetcher, url: str) -> Outcome:
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


def ishares_item(run: UpdateRun, fetcher: ISharesFetcher, fund: str) -> Outcome:
    started = utcnow()
    run.store.release()  # no store lock held while waiting on the network
    result = fetcher.fetch(fund=fund)
    have = run.store.conn.execute(
        "SELECT count(*) FROM holdings WHERE fund = ? AND as_of = ?", [fund, result.as_of]
    ).fetchall()[0][0]
    if have:
        return commit_outcome(
            run, "ishares", fund, started, Outcome("unchanged", 0, f"holdings of {result.as_of} stored")
        )
    with item_transaction(run.store) as conn:
        rows = replace_holdings(conn, fund, result.holdings, result.as_of)
        message = f"{rows} equity holdings as of {result.as_of}"
        log_update(conn, UpdateLogRow("ishares", fund, started, utcnow(), "updated", rows, message))
    return Outcome("updated", rows, message)
