"""`rotascope update --check`: one small request per source, to show whether each answers from here.

The recorded replies the tests use prove how rotascope reads each service's format; only a request from the
user's own network shows whether the service answers today (Yahoo's 429 wall, a key that is missing or
refused, a host that is down). Nothing is written: no store is opened, and yfinance's cookie cache goes to a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from rotascope.clock import now as clock_now
from rotascope.config import Settings, split_list
from rotascope.errors import ProviderError
from rotascope.providers import yahoo as yahoo_mod
from rotascope.providers.errors import (
    AccessDenied,
    EmptyData,
    ProviderConfigError,
    RateLimited,
    SourceUnavailable,
)
from rotascope.providers.fred import FredFetcher
from rotascope.providers.http import HttpClient
from rotascope.providers.ishares import ISharesFetcher
from rotascope.providers.news import NewsFetcher
from rotascope.providers.polygon import PolygonGroupedFetcher
from rotascope.providers.sec import MAX_PER_SECOND
from rotascope.providers.yahoo import YahooFetcher
from rotascope.providers.yfinance_transport import YfinanceTransport
from rotascope.redact import redact_url, scrub

__all__ = ["CheckRow", "Status", "check_sources"]

Status = Literal["ok", "blocked 429", "needs key", "unreachable", "bad reply", "off"]
CHECK_SYMBOL = "SPY"
CHECK_SERIES = "DGS10"


@dataclass(frozen=True)
class CheckRow:
    """One source's answer: where it was asked (secrets redacted), how, how fast, in one sentence."""

    source: str
    endpoint: str
    status: Status
    latency_ms: float | None
    sentence: str
    configured: bool = True
    """False: not set up (no key, no contact address, no feed), so not asked and not counted."""

    @property
    def answered(self) -> bool:
        return self.status == "ok"


def _status(exc: Exception) -> Status:
    if isinstance(exc, RateLimited):
        return "blocked 429"
    if isinstance(exc, AccessDenied | ProviderConfigError):
        return "needs key"
    if isinstance(exc, SourceUnavailable):
        return "unreachable"
    return "bad reply"


def _last_weekday(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _ask(source: str, endpoint: str, call: Callable[[], str], secrets: tuple[str, ...] = ()) -> CheckRow:
    started = time.perf_counter()
    try:
        said = call()
    except EmptyData as exc:  # it answered, in its format, with nothing in the window: reachable
        took = (time.perf_counter() - started) * 1000
        return CheckRow(source, endpoint, "ok", took, f"{source} answered in {took:.0f} ms, but {exc}")
    except (ProviderError, ValueError, OverflowError) as exc:
        took = (time.perf_counter() - started) * 1000
        return CheckRow(source, endpoint, _status(exc), took, scrub(str(exc), secrets))
    took = (time.perf_counter() - started) * 1000
    return CheckRow(source, endpoint, "ok", took, f"{source} answered in {took:.0f} ms: {said}.")


@dataclass
class _Asker:
    """What every source's check shares: the settings, the clock, the dates asked for, the clients made (all
    closed at the end) and the scratch folder of yfinance's cookie cache."""

    settings: Settings
    clock: Callable[[], datetime]
    today: date
    scratch: Path
    made: list[HttpClient | YfinanceTransport] = field(default_factory=list)

    @property
    def start(self) -> date:
        return self.today - timedelta(days=7)

    def client(self, source: str, **kwargs: object) -> HttpClient:
        s = self.settings
        self.made.append(HttpClient(source, timeout=s.http_timeout, retries=0, **kwargs))  # type: ignore[arg-type]
        return self.made[-1]  # type: ignore[return-value]


def check_sources(settings: Settings, now: Callable[[], datetime] | None = None) -> list[CheckRow]:
    """Ask every source once (those not configured are listed with what they need, not asked)."""
    clock = now or clock_now  # ROTASCOPE_TODAY when set, as update
    checks = (_check_yahoo, _check_polygon, _check_fred, _check_sec, _check_news, _check_ishares)
    with tempfile.TemporaryDirectory(prefix="rotascope-check-") as scratch:
        asker = _Asker(settings, clock, clock().date(), Path(scratch))
        try:
            return [check(asker) for check in checks]
        finally:
            for each in asker.made:
                each.close()


def _check_yahoo(a: _Asker) -> CheckRow:
    s = a.settings
    origin = None if s.yahoo_base_url.rstrip("/") == yahoo_mod.DEFAULT_BASE_URL else s.yahoo_base_url
    if s.yahoo_transport == "httpx":
        yahoo_client: HttpClient | YfinanceTransport = a.client(
            yahoo_mod.SOURCE, user_agent=yahoo_mod.BROWSER_USER_AGENT
        )
    else:
        yahoo_client = YfinanceTransport(
            yahoo_mod.SOURCE,
            origin=origin,
            timeout=s.http_timeout,
            retries=0,
            cache_dir=a.scratch,
        )
        a.made.append(yahoo_client)
    yahoo = YahooFetcher(client=yahoo_client, base_url=s.yahoo_base_url, now=a.clock)

    def ask_yahoo() -> str:
        got = yahoo.fetch(symbol=CHECK_SYMBOL, start=a.start)
        last = got.bars["date"].max().date() if not got.bars.empty else "none"
        return f"{len(got.bars)} daily bars of {CHECK_SYMBOL} via {s.yahoo_transport}, last {last}"

    chart = f"{s.yahoo_base_url.rstrip('/')}/v8/finance/chart/{CHECK_SYMBOL}"
    return _ask(yahoo_mod.SOURCE, chart, ask_yahoo)


def _check_polygon(a: _Asker) -> CheckRow:
    """Polygon.io (optional)."""
    s = a.settings
    key = s.polygon_api_key.strip()
    day = _last_weekday(a.today)
    if not key:
        said = "Polygon.io is off (optional): set polygon_api_key or env POLYGON_API_KEY to use it."
        return CheckRow("Polygon.io", s.polygon_base_url, "needs key", None, said, False)
    bulk = PolygonGroupedFetcher(api_key=key, client=a.client("Polygon.io"), base_url=s.polygon_base_url)

    def ask_polygon() -> str:
        got = bulk.fetch(date=day)
        return f"{len(got.bars):,} stock bars for {day}"

    return _ask("Polygon.io", redact_url(bulk.url(day) + "&apiKey=x"), ask_polygon, (key,))


def _check_fred(a: _Asker) -> CheckRow:
    s = a.settings
    fred = FredFetcher(
        client=a.client("FRED"),
        api_key=s.fred_api_key or None,
        graph_base_url=s.fred_base_url,
        api_base_url=s.fred_api_base_url,
    )

    def ask_fred() -> str:
        got = fred.fetch(series=CHECK_SERIES, start=a.today - timedelta(days=30))
        return f"{len(got.frame)} observations of {CHECK_SERIES}"

    fred_url = (
        f"{s.fred_api_base_url}/fred/series/observations?api_key=x"
        if s.fred_api_key
        else f"{s.fred_base_url}/graph/fredgraph.csv"
    )
    return _ask("FRED", redact_url(fred_url), ask_fred, (s.fred_api_key,))


def _check_sec(a: _Asker) -> CheckRow:
    """SEC EDGAR (needs a contact User-Agent)."""
    s = a.settings
    if "@" not in s.sec_user_agent:
        said = "SEC EDGAR is off: set sec_user_agent with a contact e-mail address."
        return CheckRow("SEC EDGAR", s.sec_tickers_url, "needs key", None, said, False)
    sec = a.client("SEC EDGAR", user_agent=s.sec_user_agent.strip(), max_per_second=MAX_PER_SECOND)

    def ask_sec() -> str:
        got = sec.get(s.sec_tickers_url, item="company tickers")
        return f"{len(got.content):,} bytes of the ticker list"

    return _ask("SEC EDGAR", redact_url(s.sec_tickers_url), ask_sec)


def _check_news(a: _Asker) -> CheckRow:
    """News feeds: the first one."""
    feeds = split_list(a.settings.news_feeds)
    if not feeds:
        return CheckRow("News feeds", "", "off", None, "No news feed is set (news_feeds).", False)
    news = NewsFetcher(client=a.client("News feed"), now=a.clock)

    def ask_news() -> str:
        got = news.fetch(url=feeds[0])
        return f"{len(got.items)} headlines"

    return _ask("News feeds", redact_url(feeds[0]), ask_news)


def _check_ishares(a: _Asker) -> CheckRow:
    """iShares: the first fund."""
    s = a.settings
    funds = [f.upper() for f in split_list(s.ishares_funds)]
    if not funds:
        said = "No iShares fund is set (ishares_funds)."
        return CheckRow("iShares", "", "off", None, said, False)
    ishares = ISharesFetcher(client=a.client("iShares"), base_url=s.ishares_base_url)

    def ask_ishares() -> str:
        got = ishares.fetch(fund=funds[0])
        return f"{len(got.holdings)} holdings of {funds[0]} as of {got.as_of}"

    return _ask("iShares", redact_url(s.ishares_base_url), ask_ishares)
