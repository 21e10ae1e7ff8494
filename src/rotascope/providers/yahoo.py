"""Daily bars from Yahoo Finance's chart endpoint (the JSON yfinance itself reads), adjusted, closes only.

``close`` is the adjusted close and open/high/low are scaled by the same adjclose/close factor, matching
the embedded dataset; ``close_traded`` keeps Yahoo's unadjusted close (the price that traded), which
published breadth counts. A bar for a session that has not closed yet is never returned as a close: it is
listed in ``dropped_partial`` instead, so a monitor run at 11:00 does not treat a mid-day print as final.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rotascope._typing import Float64Array
from rotascope.providers.base import BAR_COLUMNS, TRADED_CLOSE, QualityFlag
from rotascope.providers.errors import BadResponse, EmptyData, InvalidQuery, NotFound
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.quality import MAX_VOLUME
from rotascope.providers.registry import Fetcher, register, validate_query
from rotascope.providers.yfinance_transport import YahooTransport

__all__ = [
    "BarsResult",
    "Dividend",
    "PartialBar",
    "Split",
    "YahooFetcher",
    "YahooQuery",
    "parse_chart",
]

SOURCE = "Yahoo Finance"
DEFAULT_BASE_URL = "https://query2.finance.yahoo.com"
BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) rotascope/0.1"
_SYMBOL = re.compile(r"^[A-Za-z0-9.^=\-]{1,20}$")


class YahooQuery(BaseModel):
    """Daily bars of ``symbol`` from ``start`` to ``end`` inclusive (``end`` None = up to now)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    start: date
    end: date | None = None

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        value = value.strip().upper()
        if not _SYMBOL.match(value):
            raise ValueError("a symbol is 1-20 letters, digits or . ^ = -")
        return value


@dataclass(frozen=True)
class PartialBar:
    """A bar of a session still open when fetched: not a close, reported so the caller can say so."""

    symbol: str
    date: date
    last: float | None
    """Last price Yahoo reported for the unfinished session (raw, unadjusted)."""
    session_end: datetime
    fetched_at: datetime


@dataclass(frozen=True)
class Dividend:
    """A cash dividend on its ex-date (per share, in the instrument's currency)."""

    date: date
    amount: float


@dataclass(frozen=True)
class Split:
    """A share split on its effective date (``numerator`` new shares for ``denominator`` old ones)."""

    date: date
    numerator: float
    denominator: float


@dataclass(frozen=True)
class BarsResult:
    """Standard bar frame (``BAR_COLUMNS`` and the traded close) and what Yahoo said about the instrument."""

    symbol: str
    bars: pd.DataFrame
    """``BAR_COLUMNS`` plus ``close_traded`` (the unadjusted close)."""
    currency: str | None
    instrument_type: str | None
    """Yahoo's ``meta.instrumentType``: EQUITY, ETF, INDEX, MUTUALFUND, ..."""
    exchange_timezone: str | None
    adjusted: bool
    """False when Yahoo sent no adjusted closes (close is then the raw close)."""
    dropped_partial: tuple[PartialBar, ...]
    dropped_missing: tuple[date, ...]
    """Sessions Yahoo listed without a close (holidays, halts), left out."""
    dividends: tuple[Dividend, ...]
    splits: tuple[Split, ...]
    flags: tuple[QualityFlag, ...] = ()
    """Values of the reply left out as out of range (timestamps, volumes, event dates), each listed."""


@dataclass(frozen=True)
class YahooRaw:
    """The reply and when it was fetched (needed to judge unfinished sessions)."""

    response: HttpResponse
    fetched_at: datetime


class _Period(BaseModel):
    start: int
    end: int


class _TradingPeriods(BaseModel):
    regular: _Period | None = None


class _Meta(BaseModel):
    symbol: str | None = None
    currency: str | None = None
    instrument_type: str | None = Field(None, alias="instrumentType")
    timezone_name: str | None = Field(None, alias="exchangeTimezoneName")
    gmtoffset: int = 0
    current_period: _TradingPeriods | None = Field(None, alias="currentTradingPeriod")


class _Quote(BaseModel):
    open: list[float | None] = []
    high: list[float | None] = []
    low: list[float | None] = []
    close: list[float | None] = []
    volume: list[float | None] = []


class _AdjClose(BaseModel):
    adjclose: list[float | None] = []


class _Indicators(BaseModel):
    quote: list[_Quote] = []
    adjclose: list[_AdjClose] = []


class _Dividend(BaseModel):
    amount: float
    date: int


class _Split(BaseModel):
    date: int
    numerator: float
    denominator: float


class _Events(BaseModel):
    dividends: dict[str, _Dividend] = {}
    splits: dict[str, _Split] = {}


class _Result(BaseModel):
    meta: _Meta
    timestamp: list[int] = []
    indicators: _Indicators = _Indicators()
    events: _Events | None = None


class _Error(BaseModel):
    code: str = ""
    description: str = ""


class _Chart(BaseModel):
    result: list[_Result] | None = None
    error: _Error | None = None


class _Payload(BaseModel):
    chart: _Chart


MIN_TIMESTAMP = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp())
FUTURE_SLACK = timedelta(days=7)
"""A timestamp later than the fetch by more than this is out of range (a bar or event not yet possible)."""


def _zone(meta: _Meta, symbol: str) -> tzinfo:
    if meta.timezone_name:
        try:
            return ZoneInfo(meta.timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if abs(meta.gmtoffset) >= 86_400:
        raise BadResponse(
            f"Yahoo Finance sent an impossible time zone offset for {symbol} ({meta.gmtoffset} s).",
            source=SOURCE,
            item=symbol,
        )
    return timezone(timedelta(seconds=meta.gmtoffset))


def _in_range(ts: int, fetched_at: datetime) -> bool:
    return MIN_TIMESTAMP <= ts <= (fetched_at + FUTURE_SLACK).timestamp()


def _flag(symbol: str, ts: float, field: str, value: float, reason: str) -> QualityFlag:
    day = str(datetime.fromtimestamp(ts, tz=UTC).date()) if MIN_TIMESTAMP <= ts < 253402300800 else ""
    return QualityFlag(SOURCE, symbol, day or "", field, float(value), "dropped", reason)


def _local_date(ts: int, zone: tzinfo) -> date:
    return datetime.fromtimestamp(ts, tz=zone).date()


def parse_chart(content: bytes, status: int, symbol: str, fetched_at: datetime) -> BarsResult:
    """Turn a chart reply into a :class:`BarsResult` (raises NotFound/BadResponse/EmptyData)."""
    result = _chart_result(content, status, symbol)
    meta = result.meta
    zone = _zone(meta, symbol)
    quote_ = result.indicators.quote[0] if result.indicators.quote else _Quote()
    if not result.timestamp:
        raise EmptyData(
            f"Yahoo Finance returned no daily bars for {symbol} in the requested range.",
            source=SOURCE,
            item=symbol,
        )
    adj = result.indicators.adjclose[0].adjclose if result.indicators.adjclose else None
    _check_lengths(symbol, len(result.timestamp), quote_, adj)
    flags: list[QualityFlag] = []
    valid = np.array([_in_range(t, fetched_at) for t in result.timestamp], dtype=bool)
    flags += [
        _flag(symbol, 0, "timestamp", t, "timestamp out of range: session dropped")
        for t, ok in zip(result.timestamp, valid, strict=True)
        if not ok
    ]
    ts = np.array([t if ok else MIN_TIMESTAMP for t, ok in zip(result.timestamp, valid, strict=True)])
    dates = [_local_date(int(t), zone) for t in ts]
    raw_close = _arr(quote_.close)
    close = _arr(adj) if adj is not None else raw_close
    keep = valid.copy()
    partial = _unfinished(symbol, meta, zone, dates, raw_close, keep, fetched_at)
    missing = tuple(d for i, d in enumerate(dates) if keep[i] and np.isnan(close[i]))
    keep &= ~np.isnan(close)
    idx = np.flatnonzero(keep)
    vol = _arr(quote_.volume)[idx]
    out_of_range = ~np.isnan(vol) & ((vol < 0) | ~np.isfinite(vol) | (vol > MAX_VOLUME))
    flags += [
        _flag(symbol, int(ts[idx[i]]), "volume", float(vol[i]), "out-of-range volume set to missing")
        for i in np.flatnonzero(out_of_range).tolist()
    ]
    bars = _bars(symbol, quote_, dates, idx, close, raw_close, np.where(out_of_range, np.nan, vol))
    events = result.events or _Events()
    event_dates = [e.date for e in events.dividends.values()] + [e.date for e in events.splits.values()]
    flags += [
        _flag(symbol, 0, "event_date", t, "dividend or split date out of range: event dropped")
        for t in event_dates
        if not _in_range(t, fetched_at)
    ]
    if bars.empty and not partial:
        raise EmptyData(
            f"Yahoo Finance returned no closes for {symbol} in the requested range.",
            source=SOURCE,
            item=symbol,
        )
    dividends, splits = _events(events, zone, fetched_at)
    return BarsResult(
        symbol=symbol,
        bars=bars[[*BAR_COLUMNS, TRADED_CLOSE]],
        currency=meta.currency,
        instrument_type=meta.instrument_type,
        exchange_timezone=meta.timezone_name,
        adjusted=adj is not None,
        dropped_partial=tuple(partial),
        dropped_missing=missing,
        dividends=dividends,
        splits=splits,
        flags=tuple(flags),
    )


def _chart_result(content: bytes, status: int, symbol: str) -> _Result:
    """The first result of a chart reply, or the one sentence that says why there is none."""
    try:
        payload = _Payload.model_validate_json(content)
    except ValidationError as exc:
        if status == 404:
            raise NotFound(
                f"Yahoo Finance does not know symbol {symbol} (HTTP 404).", source=SOURCE, item=symbol
            ) from None
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        at = f" at {where}" if where else ""
        raise BadResponse(
            f"Yahoo Finance sent a malformed chart for {symbol} ({first['msg']}{at}).",
            source=SOURCE,
            item=symbol,
        ) from None
    chart = payload.chart
    if chart.error is not None or not chart.result:
        code = chart.error.code if chart.error else ""
        text = (chart.error.description if chart.error else "") or "no result"
        if status == 404 or code == "Not Found":
            raise NotFound(
                f"Yahoo Finance does not know symbol {symbol}: {text}.", source=SOURCE, item=symbol
            )
        raise BadResponse(
            f"Yahoo Finance returned an error for {symbol}: {code or 'error'}: {text}.",
            source=SOURCE,
            item=symbol,
        )
    return chart.result[0]


def _check_lengths(symbol: str, n: int, quote_: _Quote, adj: list[float | None] | None) -> None:
    """Every price column must have one value per timestamp."""
    columns = {"open": quote_.open, "high": quote_.high, "low": quote_.low, "close": quote_.close}
    columns.update({"volume": quote_.volume, **({"adjclose": adj} if adj is not None else {})})
    for name, values in columns.items():
        if len(values) != n:
            raise BadResponse(
                f"Yahoo Finance sent a chart for {symbol} with {len(values)} {name} values for {n} dates.",
                source=SOURCE,
                item=symbol,
            )


def _arr(values: list[float | None]) -> Float64Array:
    """A reply's column as floats, null as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _unfinished(
    symbol: str,
    meta: _Meta,
    zone: tzinfo,
    dates: list[date],
    raw_close: Float64Array,
    keep: npt.NDArray[np.bool_],
    fetched_at: datetime,
) -> list[PartialBar]:
    """Bars of a session not finished when fetched (or dated later), each cleared from ``keep``."""
    period = meta.current_period.regular if meta.current_period else None
    if period is not None and not (_in_range(period.start, fetched_at) and _in_range(period.end, fetched_at)):
        period = None  # impossible session times: judge unfinished sessions by the date alone
    fetched_local = fetched_at.astimezone(zone).date()
    partial: list[PartialBar] = []
    for i, day in enumerate(dates):
        if not keep[i]:
            continue
        if period is not None:
            session_end = datetime.fromtimestamp(period.end, tz=UTC)
            unfinished = day == _local_date(period.start, zone) and fetched_at < session_end
        else:  # no session times: a bar dated today (exchange time) cannot be trusted as a close
            session_end = fetched_at
            unfinished = day >= fetched_local
        if unfinished or day > fetched_local:
            last = None if np.isnan(raw_close[i]) else float(raw_close[i])
            partial.append(PartialBar(symbol, day, last, session_end, fetched_at))
            keep[i] = False
    return partial


def _bars(
    symbol: str,
    quote_: _Quote,
    dates: list[date],
    idx: npt.NDArray[np.intp],
    close: Float64Array,
    raw_close: Float64Array,
    vol: Float64Array,
) -> pd.DataFrame:
    """The kept rows as bars: open/high/low scaled by their day's adjustment factor, traded close kept."""
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(raw_close > 0, close / raw_close, np.nan)
    bars = pd.DataFrame(
        {
            "symbol": pd.Series([symbol] * len(idx), dtype="str"),
            "date": pd.Series(pd.to_datetime([dates[i] for i in idx]), dtype="datetime64[us]"),
            "open": _arr(quote_.open)[idx] * factor[idx],
            "high": _arr(quote_.high)[idx] * factor[idx],
            "low": _arr(quote_.low)[idx] * factor[idx],
            "close": close[idx],
            "volume": pd.array([None if np.isnan(v) else int(v) for v in vol], dtype="Int64"),
            TRADED_CLOSE: raw_close[idx],
        }
    )
    return bars.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)


def _events(
    events: _Events, zone: tzinfo, fetched_at: datetime
) -> tuple[tuple[Dividend, ...], tuple[Split, ...]]:
    """Dividends and splits in date order, those with impossible dates left out."""
    dividends = tuple(
        sorted(
            (
                Dividend(_local_date(d.date, zone), d.amount)
                for d in events.dividends.values()
                if _in_range(d.date, fetched_at)
            ),
            key=_by_date,
        )
    )
    splits = tuple(
        sorted(
            (
                Split(_local_date(s.date, zone), s.numerator, s.denominator)
                for s in events.splits.values()
                if _in_range(s.date, fetched_at)
            ),
            key=_by_date,
        )
    )
    return dividends, splits


def _by_date(event: Dividend | Split) -> date:
    return event.date


@register("yahoo")
class YahooFetcher(Fetcher[YahooQuery, YahooRaw, BarsResult]):
    """Daily adjusted bars from ``/v8/finance/chart/{symbol}``, through ``client`` (`rotascope update` passes
    a :class:`~rotascope.providers.yfinance_transport.YfinanceTransport`; default: plain httpx)."""

    kind = "bars"
    source = SOURCE

    def __init__(
        self,
        *,
        client: YahooTransport | None = None,
        base_url: str = DEFAULT_BASE_URL,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.client: YahooTransport = client or HttpClient(SOURCE, user_agent=BROWSER_USER_AGENT)
        self.base_url = base_url.rstrip("/")
        self.now = now or (lambda: datetime.now(UTC))

    def transform_query(self, params: Mapping[str, Any]) -> YahooQuery:
        query = validate_query(YahooQuery, params, SOURCE, str(params.get("symbol", "symbol")))
        if query.end is not None and query.end < query.start:
            raise InvalidQuery(
                f"Invalid Yahoo Finance request for {query.symbol}: "
                f"start {query.start} is after end {query.end}.",
                source=SOURCE,
                item=query.symbol,
            )
        return query

    def extract_data(self, query: YahooQuery) -> YahooRaw:
        fetched_at = self.now()
        period1 = int(datetime.combine(query.start, datetime.min.time(), UTC).timestamp())
        end = (
            int(datetime.combine(query.end + timedelta(days=1), datetime.min.time(), UTC).timestamp())
            if query.end
            else int(fetched_at.timestamp())
        )
        params: dict[str, str | int] = {
            "period1": period1,
            "period2": end,
            "interval": "1d",
            "events": "div,splits",
            "includeAdjustedClose": "true",
        }
        url = f"{self.base_url}/v8/finance/chart/{quote(query.symbol, safe='')}"
        response = self.client.get(url, item=query.symbol, params=params, accept=(404,))
        return YahooRaw(response, fetched_at)

    def transform_data(self, query: YahooQuery, raw: YahooRaw) -> BarsResult:
        result = parse_chart(raw.response.content, raw.response.status, query.symbol, raw.fetched_at)
        if query.end is None:
            return result
        cutoff = pd.Timestamp(query.end)
        bars = result.bars[result.bars.date <= cutoff].reset_index(drop=True)
        return replace(result, bars=bars)
