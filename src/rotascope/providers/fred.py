"""FRED macro series (rates, curve, credit spreads, NFCI, claims, unemployment) as standard series frames.

Reads the keyless fredgraph CSV download by default and the official JSON API when a key is given. Every
observation carries ``known_at``, a conservative publication date (:func:`known_at`), so the backtest never
sees a number before it was public; the embedded dataset uses the same rules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from rotascope.providers.base import SERIES_COLUMNS
from rotascope.providers.errors import AccessDenied, BadResponse, EmptyData, InvalidQuery, NotFound
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query
from rotascope.providers.release_dates import ReleaseRule
from rotascope.providers.release_dates import known_at as release_known_at
from rotascope.redact import scrub

__all__ = [
    "FRED_SERIES",
    "SERIES_BY_ID",
    "FredFetcher",
    "FredQuery",
    "FredSeries",
    "KnownAtRule",
    "SeriesResult",
    "known_at",
    "parse_fredgraph_csv",
]

SOURCE = "FRED"
KnownAtRule = ReleaseRule


def known_at(dates: pd.Series, rule: KnownAtRule) -> pd.Series:
    """Date each observation became public: :func:`rotascope.providers.release_dates.known_at`.

    ``d1`` daily market series: the next business day. ``w5`` NFCI and initial claims: date + 5 days.
    ``m``/``emp`` Employment Situation for month M: the 15th of M+1 or the actual later (shutdown) date;
    ``cpi``: the 22nd of M+1 or the actual later date. Same rules as ``scripts/build_dataset.py``.
    """
    return release_known_at(dates, rule)


@dataclass(frozen=True)
class FredSeries:
    """A FRED series rotascope uses: its FRED id, rotascope id and publication-lag rule."""

    fred_id: str
    series_id: str
    rule: KnownAtRule
    frequency: Literal["daily", "weekly", "monthly"]


FRED_SERIES: dict[str, FredSeries] = {
    s.fred_id: s
    for s in (
        FredSeries("DGS3MO", "ust_3m", "d1", "daily"),
        FredSeries("DGS2", "ust_2y", "d1", "daily"),
        FredSeries("DGS10", "ust_10y", "d1", "daily"),
        FredSeries("DFF", "fed_funds", "d1", "daily"),
        FredSeries("T10Y2Y", "curve_10y_2y", "d1", "daily"),
        FredSeries("T10Y3M", "curve_10y_3m", "d1", "daily"),
        FredSeries("BAMLH0A0HYM2", "hy_oas", "d1", "daily"),
        FredSeries("BAA10Y", "baa_spread", "d1", "daily"),
        FredSeries("NFCI", "nfci", "w5", "weekly"),
        FredSeries("ICSA", "claims", "w5", "weekly"),
        FredSeries("UNRATE", "unemployment", "emp", "monthly"),
    )
}
"""FRED id → series, for the series rotascope maps."""
SERIES_BY_ID: dict[str, FredSeries] = {s.series_id: s for s in FRED_SERIES.values()}
"""rotascope series id → series."""


class FredQuery(BaseModel):
    """Which series (FRED id such as ``DGS10`` or rotascope id such as ``ust_10y``) and date range."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    series: str
    start: date | None = None
    end: date | None = None

    @property
    def spec(self) -> FredSeries:
        found = FRED_SERIES.get(self.series.upper()) or SERIES_BY_ID.get(self.series)
        if found is None:
            raise InvalidQuery(
                f"FRED series '{self.series}' is not mapped to a rotascope series "
                f"(known: {', '.join(sorted(FRED_SERIES))}).",
                source=SOURCE,
                item=self.series,
            )
        return found


@dataclass(frozen=True)
class SeriesResult:
    """Observations of one series in the standard ``SERIES_COLUMNS`` frame, plus what was skipped."""

    series_id: str
    fred_id: str
    frame: pd.DataFrame
    missing: int
    """Observations FRED lists without a value ('.' or empty), left out of ``frame``."""
    endpoint: Literal["fredgraph", "api"]


@dataclass(frozen=True)
class FredRaw:
    """The undecoded reply and which endpoint produced it."""

    response: HttpResponse
    endpoint: Literal["fredgraph", "api"]


class _Observation(BaseModel):
    date: date
    value: str


class _Observations(BaseModel):
    observations: list[_Observation]


class _ApiError(BaseModel):
    error_code: int
    error_message: str


Row = tuple[date, float | None]


def _label(spec: FredSeries) -> str:
    return f"{spec.fred_id} ({spec.series_id})"


def _value(raw: str, spec: FredSeries, where: str) -> float | None:
    text = raw.strip()
    if text in ("", "."):
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadResponse(
            f"FRED sent a malformed value {text[:20]!r} for {_label(spec)} at {where}.",
            source=SOURCE,
            item=spec.fred_id,
        ) from None
    return value if np.isfinite(value) else None


def parse_fredgraph_csv(text: str, spec: FredSeries) -> list[Row]:
    """Rows of a fredgraph CSV (header ``observation_date,ID`` or older ``DATE,ID``; '.' = missing)."""
    item = _label(spec)
    if text.lstrip()[:1] == "<":
        raise BadResponse(
            f"FRED sent an HTML page instead of CSV for {item}.", source=SOURCE, item=spec.fred_id
        )
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise BadResponse(
            f"FRED sent a malformed CSV for {item} ({exc}).", source=SOURCE, item=spec.fred_id
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise EmptyData(f"FRED sent an empty file for {item}.", source=SOURCE, item=spec.fred_id)
    header = [h.strip() for h in rows[0]]
    if (
        len(header) != 2
        or header[0].lower() not in ("observation_date", "date")
        or header[1].upper() != spec.fred_id
    ):
        raise BadResponse(
            f"FRED sent a CSV for {item} with unexpected header {','.join(header)[:80]!r}.",
            source=SOURCE,
            item=spec.fred_id,
        )
    out: list[Row] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise BadResponse(
                f"FRED sent a malformed CSV for {item}: line {number} has {len(row)} fields, expected 2.",
                source=SOURCE,
                item=spec.fred_id,
            )
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise BadResponse(
                f"FRED sent a malformed date {row[0][:20]!r} for {item} on line {number}.",
                source=SOURCE,
                item=spec.fred_id,
            ) from None
        out.append((day, _value(row[1], spec, f"line {number}")))
    return out


def _parse_api(response: HttpResponse, spec: FredSeries, secrets: tuple[str, ...] = ()) -> list[Row]:
    item = _label(spec)
    if response.status == 400:
        try:
            error = _ApiError.model_validate_json(response.content)
        except ValidationError:
            message = "Bad Request."
        else:
            # the server's text may echo the query: never print the key, never echo a whole page
            message = scrub(" ".join(error.error_message.split()), secrets)[:200]
        if "does not exist" in message:
            raise NotFound(
                f"FRED does not know series {spec.fred_id}: {message}", source=SOURCE, item=spec.fred_id
            )
        if "api_key" in message:
            raise AccessDenied(
                f"FRED refused the API key while fetching {item}: {message}", source=SOURCE, item=spec.fred_id
            )
        raise BadResponse(
            f"FRED rejected the request for {item}: {message}", source=SOURCE, item=spec.fred_id
        )
    try:
        parsed = _Observations.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadResponse(
            f"FRED sent a malformed JSON reply for {item} ({first['msg']}).", source=SOURCE, item=spec.fred_id
        ) from None
    return [(o.date, _value(o.value, spec, str(o.date))) for o in parsed.observations]


def to_frame(
    rows: list[Row], spec: FredSeries, start: date | None, end: date | None
) -> tuple[pd.DataFrame, int]:
    """Standard series frame from parsed rows, limited to [start, end]; also the count of missing values."""
    kept = [(d, v) for d, v in rows if (start is None or d >= start) and (end is None or d <= end)]
    values = [(d, v) for d, v in kept if v is not None]
    missing = len(kept) - len(values)
    if not values:
        span = f" between {start or 'the start'} and {end or 'today'}" if start or end else ""
        raise EmptyData(
            f"FRED returned no observations for {_label(spec)}{span}"
            f"{f' ({missing} listed without a value)' if missing else ''}.",
            source=SOURCE,
            item=spec.fred_id,
        )
    values.sort(key=lambda r: r[0])
    dates = pd.Series(pd.to_datetime([d for d, _ in values])).dt.as_unit("us")
    frame = pd.DataFrame(
        {
            "series_id": pd.Series([spec.series_id] * len(values), dtype="str"),
            "date": dates,
            "value": np.array([v for _, v in values], dtype=np.float64),
            "known_at": known_at(dates, spec.rule).dt.as_unit("us"),
        }
    )
    frame = frame.drop_duplicates("date", keep="last").reset_index(drop=True)
    return frame[list(SERIES_COLUMNS)], missing


@register("fred")
class FredFetcher(Fetcher[FredQuery, FredRaw, SeriesResult]):
    """FRED series: fredgraph CSV without a key, the official API (JSON) with one."""

    kind = "series"
    source = SOURCE

    def __init__(
        self,
        *,
        client: HttpClient | None = None,
        api_key: str | None = None,
        graph_base_url: str = "https://fred.stlouisfed.org",
        api_base_url: str = "https://api.stlouisfed.org",
    ) -> None:
        self.client = client or HttpClient(SOURCE)
        self.api_key = api_key or None
        self.graph_base_url = graph_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")

    def transform_query(self, params: Mapping[str, Any]) -> FredQuery:
        query = validate_query(FredQuery, params, SOURCE, str(params.get("series", "series")))
        query.spec  # noqa: B018 - unmapped ids fail here, before any request
        if query.start and query.end and query.start > query.end:
            raise InvalidQuery(
                f"Invalid FRED request for {query.series}: start {query.start} is after end {query.end}.",
                source=SOURCE,
                item=query.series,
            )
        return query

    def extract_data(self, query: FredQuery) -> FredRaw:
        spec = query.spec
        if self.api_key:
            params: dict[str, str] = {
                "series_id": spec.fred_id,
                "api_key": self.api_key,
                "file_type": "json",
            }
            if query.start:
                params["observation_start"] = query.start.isoformat()
            if query.end:
                params["observation_end"] = query.end.isoformat()
            url = f"{self.api_base_url}/fred/series/observations"
            return FredRaw(self.client.get(url, item=_label(spec), params=params, accept=(400,)), "api")
        params = {"id": spec.fred_id}
        if query.start:
            params["cosd"] = query.start.isoformat()
        if query.end:
            params["coed"] = query.end.isoformat()
        url = f"{self.graph_base_url}/graph/fredgraph.csv"
        return FredRaw(self.client.get(url, item=_label(spec), params=params), "fredgraph")

    def transform_data(self, query: FredQuery, raw: FredRaw) -> SeriesResult:
        spec = query.spec
        if raw.endpoint == "api":
            rows = _parse_api(raw.response, spec, (self.api_key or "",))
        else:
            rows = parse_fredgraph_csv(raw.response.text(SOURCE, _label(spec)), spec)
        frame, missing = to_frame(rows, spec, query.start, query.end)
        return SeriesResult(spec.series_id, spec.fred_id, frame, missing, raw.endpoint)
