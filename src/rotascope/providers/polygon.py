"""Every U.S. stock's daily bar for one date in one request: Polygon.io's grouped daily aggregates.

``GET /v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=true&apiKey=KEY`` answers
``{"status": "OK", "adjusted": true, "resultsCount": N, "results": [{"T": ticker, "o", "h", "l", "c", "v",
"vw", "n", "t": epoch ms}, ...]}`` (no ``results`` on a day without trading). A week of member breadth then
costs about five requests instead of ~2,600. Optional and off by default: it needs a key
(``polygon_api_key`` or env ``POLYGON_API_KEY``), which never appears in a message (the client masks
``apiKey=``; errors are scrubbed). Prices are split-adjusted traded prices, not dividend-adjusted: `update`
chains them onto the stored adjusted closes per symbol, as it does Yahoo's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rotascope.providers.base import BAR_COLUMNS, TRADED_CLOSE
from rotascope.providers.errors import BadResponse, ProviderConfigError
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query
from rotascope.redact import scrub

__all__ = ["SOURCE", "GroupedDaily", "PolygonGroupedFetcher", "PolygonQuery", "grouped_path"]

SOURCE = "Polygon.io"
DEFAULT_BASE_URL = "https://api.polygon.io"


def grouped_path(day: date) -> str:
    """The grouped-daily path of ``day``."""
    return f"/v2/aggs/grouped/locale/us/market/stocks/{day.isoformat()}"


class PolygonQuery(BaseModel):
    """One date's bars of every U.S. stock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date


class _Agg(BaseModel):
    ticker: str = Field(alias="T")
    open: float | None = Field(None, alias="o")
    high: float | None = Field(None, alias="h")
    low: float | None = Field(None, alias="l")
    close: float | None = Field(None, alias="c")
    volume: float | None = Field(None, alias="v")


class _Grouped(BaseModel):
    status: str = ""
    adjusted: bool | None = None
    results: list[_Agg] = []
    error: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class GroupedDaily:
    """The bars of one date (``BAR_COLUMNS`` plus the traded close), empty on a day without trading."""

    date: date
    bars: pd.DataFrame
    adjusted: bool


@register("polygon")
class PolygonGroupedFetcher(Fetcher[PolygonQuery, HttpResponse, GroupedDaily]):
    """Grouped daily aggregates (split-adjusted) for one date."""

    kind = "bars"
    source = SOURCE

    def __init__(self, *, api_key: str, client: HttpClient | None = None, base_url: str = DEFAULT_BASE_URL):
        if not api_key.strip():
            raise ProviderConfigError(
                f"{SOURCE} needs an API key: set polygon_api_key (or env POLYGON_API_KEY).",
                source=SOURCE,
                item="settings",
            )
        self.api_key = api_key.strip()
        self.client = client or HttpClient(SOURCE)
        self.base_url = base_url.rstrip("/")

    def url(self, day: date) -> str:
        """The request URL of ``day`` without the key (for messages and `update --check`)."""
        return f"{self.base_url}{grouped_path(day)}?adjusted=true"

    def transform_query(self, params: Mapping[str, Any]) -> PolygonQuery:
        return validate_query(PolygonQuery, params, SOURCE, str(params.get("date", "date")))

    def extract_data(self, query: PolygonQuery) -> HttpResponse:
        return self.client.get(
            f"{self.base_url}{grouped_path(query.date)}",
            item=str(query.date),
            params={"adjusted": "true", "apiKey": self.api_key},
        )

    def transform_data(self, query: PolygonQuery, raw: HttpResponse) -> GroupedDaily:
        item = str(query.date)
        try:
            payload = _Grouped.model_validate_json(raw.content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise BadResponse(
                f"{SOURCE} sent a malformed grouped-daily reply for {item} "
                f"({first['msg']} at {where or 'top'}).",
                source=SOURCE,
                item=item,
            ) from None
        if payload.status not in ("OK", "DELAYED"):
            said = scrub(payload.error or payload.message or payload.status or "no status", [self.api_key])
            raise BadResponse(
                f"{SOURCE} answered the grouped-daily request for {item} with an error: {said[:160]}.",
                source=SOURCE,
                item=item,
            )
        rows = payload.results

        def col(name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
            values = [getattr(r, name) for r in rows]
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        close = col("close")
        volume = col("volume")
        bars = pd.DataFrame(
            {
                "symbol": pd.Series([r.ticker for r in rows], dtype="str"),
                "date": pd.Series(pd.to_datetime([query.date] * len(rows)), dtype="datetime64[us]"),
                "open": col("open"),
                "high": col("high"),
                "low": col("low"),
                "close": close,
                "volume": pd.array(np.where(np.isfinite(volume), volume, np.nan), dtype="Float64"),
                TRADED_CLOSE: close,
            }
        )
        bars = bars[~np.isnan(close)].drop_duplicates("symbol", keep="last").reset_index(drop=True)
        return GroupedDaily(query.date, bars[[*BAR_COLUMNS, TRADED_CLOSE]], bool(payload.adjusted))
