"""iShares ETF holdings (IWM = Russell 2000, IVV, IJR, ...): equity members with sector and weight, dated.

The holdings CSV carries a preamble (fund name, ``Fund Holdings as of,"Nov 21, 2025"``, ...), a header,
the rows, then a legal footer. Membership is point in time by that holdings date (``as_of``), which is
what lets breadth avoid today's-members survivorship bias once snapshots accumulate.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from rotascope.providers.errors import BadResponse, EmptyData, InvalidQuery
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query

__all__ = [
    "HOLDINGS_COLUMNS",
    "ISHARES_PRODUCTS",
    "HoldingsResult",
    "ISharesFetcher",
    "ISharesQuery",
    "parse_holdings_csv",
]

SOURCE = "iShares"
DEFAULT_BASE_URL = "https://www.ishares.com"
HOLDINGS_COLUMNS = ("symbol", "name", "sector", "weight", "as_of")
_AJAX = "1467271812596.ajax"
ISHARES_PRODUCTS: dict[str, str] = {
    "IWM": f"/us/products/239710/ishares-russell-2000-etf/{_AJAX}",
    "IVV": f"/us/products/239726/ishares-core-sp-500-etf/{_AJAX}",
    "IJR": f"/us/products/239774/ishares-core-sp-smallcap-etf/{_AJAX}",
}
"""Fund → holdings path on ishares.com (query: fileType=csv, fileName=<FUND>_holdings, dataType=fund)."""
_REQUIRED = ("Ticker", "Name", "Sector", "Asset Class", "Weight (%)")


class ISharesQuery(BaseModel):
    """Holdings of one iShares fund; ``path`` overrides the download path for funds not in the table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fund: str
    path: str | None = None

    @field_validator("fund")
    @classmethod
    def _fund(cls, value: str) -> str:
        value = value.strip().upper()
        if not value.isalnum() or len(value) > 10:
            raise ValueError("a fund ticker is 1-10 letters or digits")
        return value


@dataclass(frozen=True)
class HoldingsResult:
    """Equity holdings (frame with exactly ``HOLDINGS_COLUMNS``; weight in percent, as in the file)."""

    fund: str
    as_of: date
    holdings: pd.DataFrame
    skipped: Mapping[str, int]
    """Rows left out, counted by asset class (Cash, Futures, Money Market, ...)."""


def _fail(fund: str, cause: str) -> BadResponse:
    return BadResponse(
        f"iShares sent a malformed holdings file for {fund}: {cause}.", source=SOURCE, item=fund
    )


def _as_of(lines: list[str], fund: str) -> date:
    for line in lines[:20]:
        if line.startswith("Fund Holdings as of"):
            cells = next(csv.reader([line]), [])
            raw = cells[1].strip() if len(cells) > 1 else ""
            if raw in ("", "-"):
                raise EmptyData(
                    f"iShares has no holdings file for {fund} on the requested date.",
                    source=SOURCE,
                    item=fund,
                )
            try:
                return datetime.strptime(raw, "%b %d, %Y").date()
            except ValueError:
                raise _fail(fund, f"holdings date {raw[:30]!r} is not like 'Nov 21, 2025'") from None
    raise _fail(fund, "no 'Fund Holdings as of' line")


def _weight(raw: str, fund: str, line: int) -> float:
    text = raw.strip().replace(",", "")
    if text in ("", "-"):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise _fail(fund, f"weight {raw[:20]!r} on line {line} is not a number") from None


def parse_holdings_csv(text: str, fund: str) -> HoldingsResult:
    """Parse an iShares holdings CSV; keep equities only (cash, futures, money market are counted)."""
    text = text.lstrip("\ufeff")
    if text.lstrip()[:1] == "<":
        raise _fail(fund, "got an HTML page instead of CSV")
    lines = text.splitlines()
    as_of = _as_of(lines, fund)
    start = next((i for i, line in enumerate(lines) if line.lstrip('"').startswith("Ticker")), None)
    if start is None:
        raise _fail(fund, "no 'Ticker,Name,...' header line")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[start:])), strict=True))
    except csv.Error as exc:
        raise _fail(fund, f"CSV error ({exc})") from None
    header = [h.strip() for h in rows[0]]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise _fail(fund, f"header lacks {', '.join(missing)}")
    col = {name: header.index(name) for name in _REQUIRED}
    records: list[tuple[str, str, str, float]] = []
    skipped: Counter[str] = Counter()
    for offset, row in enumerate(rows[1:], start=1):
        if sum(1 for cell in row if cell.strip()) <= 1:  # blank line before the legal footer
            break
        number = start + offset + 1
        if len(row) != len(header):
            raise _fail(fund, f"line {number} has {len(row)} fields, the header has {len(header)}")
        asset_class = row[col["Asset Class"]].strip()
        ticker = row[col["Ticker"]].strip()
        if asset_class != "Equity" or ticker in ("", "-"):
            skipped[asset_class or "unknown"] += 1
            continue
        records.append(
            (
                ticker,
                row[col["Name"]].strip(),
                row[col["Sector"]].strip(),
                _weight(row[col["Weight (%)"]], fund, number),
            )
        )
    if not records:
        raise EmptyData(
            f"iShares holdings file for {fund} as of {as_of} lists no equities.", source=SOURCE, item=fund
        )
    frame = pd.DataFrame(records, columns=["symbol", "name", "sector", "weight"]).astype(
        {"symbol": "str", "name": "str", "sector": "str", "weight": "float64"}
    )
    frame["as_of"] = pd.Series([pd.Timestamp(as_of)] * len(frame), dtype="datetime64[us]")
    frame = frame.drop_duplicates("symbol", keep="first").reset_index(drop=True)
    return HoldingsResult(fund, as_of, frame[list(HOLDINGS_COLUMNS)], dict(skipped))


@register("ishares")
class ISharesFetcher(Fetcher[ISharesQuery, HttpResponse, HoldingsResult]):
    """Holdings CSV from ishares.com, parsed into dated equity membership."""

    kind = "holdings"
    source = SOURCE

    def __init__(self, *, client: HttpClient | None = None, base_url: str = DEFAULT_BASE_URL) -> None:
        self.client = client or HttpClient(SOURCE)
        self.base_url = base_url.rstrip("/")

    def transform_query(self, params: Mapping[str, Any]) -> ISharesQuery:
        query = validate_query(ISharesQuery, params, SOURCE, str(params.get("fund", "fund")))
        if query.path is None and query.fund not in ISHARES_PRODUCTS:
            raise InvalidQuery(
                f"No iShares holdings path is known for {query.fund} (known: "
                f"{', '.join(sorted(ISHARES_PRODUCTS))}); give its holdings download path in `path`.",
                source=SOURCE,
                item=query.fund,
            )
        return query

    def extract_data(self, query: ISharesQuery) -> HttpResponse:
        path = query.path or ISHARES_PRODUCTS[query.fund]
        params = {"fileType": "csv", "fileName": f"{query.fund}_holdings", "dataType": "fund"}
        return self.client.get(f"{self.base_url}{path}", item=query.fund, params=params)

    def transform_data(self, query: ISharesQuery, raw: HttpResponse) -> HoldingsResult:
        return parse_holdings_csv(raw.text(SOURCE, query.fund), query.fund)
