"""What an update asks of each source: its items and the handler of one item, built from the settings
(a source that is not configured is skipped with a note, or fails when named)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rotascope.config import split_list
from rotascope.live.bulk import BulkChain, bulk_days, polygon_item
from rotascope.live.items import fred_item, french_item, ishares_item, news_item, sec_item, yahoo_item
from rotascope.live.prefetch import Prefetch
from rotascope.live.report import SOURCE_NAMES, ItemResult
from rotascope.live.state import BAR_OVERLAP_DAYS, Handler, UpdateRun, first_to_write, resumable
from rotascope.providers import fred as fred_mod
from rotascope.providers import polygon as polygon_mod
from rotascope.providers import yahoo as yahoo_mod
from rotascope.providers.fred import FRED_SERIES, FredFetcher
from rotascope.providers.french import ITEM as FRENCH_ITEM
from rotascope.providers.french import FrenchFetcher
from rotascope.providers.ishares import ISharesFetcher
from rotascope.providers.news import NewsFetcher
from rotascope.providers.polygon import PolygonGroupedFetcher
from rotascope.providers.sec import MAX_PER_SECOND, SecFetcher
from rotascope.providers.yahoo import BarsResult, YahooFetcher
from rotascope.providers.yfinance_transport import YahooTransport, YfinanceTransport
from rotascope.store.db import Store
from rotascope.store.live import utcnow

YAHOO_ALIASES = {"VIX": "^VIX"}
"""Stored symbol → Yahoo symbol where they differ (class shares use '-' on Yahoo: BRK.B → BRK-B)."""


def yahoo_symbol(symbol: str) -> str:
    """The Yahoo ticker of a stored symbol."""
    return YAHOO_ALIASES.get(symbol, symbol.replace(".", "-"))


def plan_source(
    run: UpdateRun, source: str, explicit: bool, symbols: Sequence[str] | None
) -> tuple[list[str], Handler] | None:
    """Items and the per-item handler of a source; None (with a note) when the source is not configured."""
    s = run.settings
    if source == "yahoo":
        fetcher = YahooFetcher(client=_yahoo_transport(run), base_url=s.yahoo_base_url, now=run.now)
        items = [x.strip().upper() for x in symbols] if symbols else _default_symbols(run)
        done = resumable(run, source, utcnow())
        starts = _bar_fetch_starts(run, items)
        plan = [(i, start) for i, start in starts.items() if start is not None and i not in done]
        prefetch: Prefetch[BarsResult] = Prefetch(
            lambda sym, start: fetcher.fetch(symbol=yahoo_symbol(sym), start=start), plan, s.yahoo_threads
        )
        run.clients.append(prefetch)
        return items, lambda r, item: yahoo_item(r, prefetch, item)
    if source == "polygon":
        if not s.polygon_api_key.strip():
            message = "no key: set polygon_api_key (or env POLYGON_API_KEY) to fetch member bars in bulk"
            _not_configured(run, source, explicit, message)
            return None
        bulk = PolygonGroupedFetcher(
            api_key=s.polygon_api_key, client=run.client(polygon_mod.SOURCE), base_url=s.polygon_base_url
        )
        days, anchor = bulk_days(run)
        chain = BulkChain(bulk, anchor, tuple(days))
        return [d.isoformat() for d in days], lambda r, item: polygon_item(r, chain, date.fromisoformat(item))
    if source == "fred":
        fred = FredFetcher(
            client=run.client(fred_mod.SOURCE),
            api_key=s.fred_api_key or None,
            graph_base_url=s.fred_base_url,
            api_base_url=s.fred_api_base_url,
        )
        return list(FRED_SERIES), lambda r, item: fred_item(r, fred, item)
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
        return companies, lambda r, item: sec_item(r, sec, item)
    if source == "news":
        feeds = split_list(s.news_feeds)
        if not feeds:
            _not_configured(run, source, explicit, "no feeds configured: set news_feeds")
            return None
        news = NewsFetcher(client=run.client("News feed"), now=run.now)
        return feeds, lambda r, item: news_item(r, news, item)
    if source == "french":
        if not s.french_url.strip():
            _not_configured(run, source, explicit, "no URL: set french_url")
            return None
        french = FrenchFetcher(client=run.client("Kenneth French library"), url=s.french_url.strip())
        return [FRENCH_ITEM], lambda r, item: french_item(r, french, item)
    funds = [f.upper() for f in split_list(s.ishares_funds)]
    if not funds:
        _not_configured(run, source, explicit, "no funds configured: set ishares_funds")
        return None
    ishares = ISharesFetcher(client=run.client("iShares"), base_url=s.ishares_base_url)
    return funds, lambda r, item: ishares_item(r, ishares, item)


def _yahoo_transport(run: UpdateRun) -> YahooTransport:
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


def _bar_fetch_starts(run: UpdateRun, symbols: Sequence[str]) -> dict[str, date | None]:
    """First date to fetch of each symbol (None: already up to date), from one read of the stored ends."""
    rows = run.store.conn.execute(
        "SELECT symbol, max(date) FROM bars WHERE list_contains(?, symbol) GROUP BY symbol", [list(symbols)]
    ).fetchall()
    last = {str(r[0]): r[1] for r in rows}
    starts: dict[str, date | None] = {}
    for symbol in symbols:
        write_from = first_to_write(run, last.get(symbol))
        starts[symbol] = None if write_from > run.today else write_from - timedelta(days=BAR_OVERLAP_DAYS)
    return starts


def _not_configured(run: UpdateRun, source: str, explicit: bool, message: str) -> None:
    if explicit:
        run.report.items.append(ItemResult(source, "(settings)", "failed", 0, message + "."))
    else:
        run.report.notes.append(f"{SOURCE_NAMES[source]}: skipped, {message}.")


def _default_symbols(run: UpdateRun) -> list[str]:
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
