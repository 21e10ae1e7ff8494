"""Company fundamentals from SEC EDGAR company facts (XBRL), point in time by the date each fact was filed.

Small caps that rally on falling rates but carry heavy floating-rate debt and no operating income are the
"junk rally" the fundamentals agent must spot; EDGAR gives revenue, operating income, interest expense,
debt, operating cash flow and shares straight from 10-K/10-Q filings, free, for every U.S. filer.
SEC fair-access policy: a User-Agent with contact details and at most 10 requests per second.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator, model_validator

from rotascope.providers.errors import BadResponse, EmptyData, NotFound, ProviderConfigError
from rotascope.providers.http import HttpClient, HttpResponse
from rotascope.providers.registry import Fetcher, register, validate_query

__all__ = [
    "FUNDAMENTAL_COLUMNS",
    "METRICS",
    "FundamentalsResult",
    "SecFetcher",
    "SecQuery",
    "parse_company_facts",
    "parse_company_tickers",
]

SOURCE = "SEC EDGAR"
TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
DATA_BASE_URL = "https://data.sec.gov"
MAX_PER_SECOND = 10.0
FUNDAMENTAL_COLUMNS = (
    "symbol",
    "cik",
    "metric",
    "period_start",
    "period_end",
    "fiscal_year",
    "fiscal_period",
    "form",
    "value",
    "unit",
    "filed",
    "concept",
    "accession",
)
"""``filed`` is the date the fact became public (its known_at); ``concept`` and ``accession`` cite it.
``fiscal_year``/``fiscal_period`` are EDGAR's ``fy``/``fp`` of the filing that first reported the value, not
necessarily of the period (a 10-K's prior-year comparatives carry the 10-K's fy): use the period dates."""

METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "revenue": (
        "us-gaap",
        "USD",
        ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet"),
    ),
    "operating_income": ("us-gaap", "USD", ("OperatingIncomeLoss",)),
    "interest_expense": ("us-gaap", "USD", ("InterestExpense", "InterestExpenseNonoperating")),
    "operating_cash_flow": ("us-gaap", "USD", ("NetCashProvidedByUsedInOperatingActivities",)),
    "shares_outstanding": ("dei", "shares", ("EntityCommonStockSharesOutstanding",)),
    "net_income": ("us-gaap", "USD", ("NetIncomeLoss",)),
    "eps_diluted": ("us-gaap", "USD/shares", ("EarningsPerShareDiluted",)),
}
"""metric → (taxonomy, unit, concepts in order of preference). ``total_debt`` is built separately:
``LongTermDebt`` when reported, else ``LongTermDebtNoncurrent`` + ``DebtCurrent``/``LongTermDebtCurrent``."""
DEBT_WHOLE = "LongTermDebt"
DEBT_NONCURRENT = "LongTermDebtNoncurrent"
DEBT_CURRENT = ("DebtCurrent", "LongTermDebtCurrent")


class SecQuery(BaseModel):
    """A company by ticker (``symbol``) or by ``cik`` (then ``symbol`` is only a label)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str | None = None
    cik: int | None = None

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str | None) -> str | None:
        return value.strip().upper().replace(".", "-") if value else None

    @model_validator(mode="after")
    def _either(self) -> SecQuery:
        if not self.symbol and self.cik is None:
            raise ValueError("give a ticker symbol or a CIK")
        if self.cik is not None and self.cik <= 0:
            raise ValueError("a CIK is a positive integer")
        return self

    @property
    def label(self) -> str:
        return self.symbol or cik_label(self.cik or 0)


def cik_label(cik: int) -> str:
    """EDGAR's ten-digit form: ``CIK0000320193``."""
    return f"CIK{cik:010d}"


@dataclass(frozen=True)
class Company:
    """One entry of company_tickers.json."""

    cik: int
    ticker: str
    title: str


@dataclass(frozen=True)
class FundamentalsResult:
    """Point-in-time facts of one company (frame with exactly ``FUNDAMENTAL_COLUMNS``)."""

    symbol: str
    cik: int
    entity_name: str
    facts: pd.DataFrame
    missing_metrics: tuple[str, ...]
    """Metrics the company never reported under any of the mapped concepts."""


@dataclass(frozen=True)
class SecRaw:
    """The company facts reply, with the company it was asked for."""

    symbol: str
    cik: int
    response: HttpResponse


class _Fact(BaseModel):
    start: date | None = None
    end: date
    val: float
    accn: str
    fy: int | None = None
    fp: str | None = None
    form: str
    filed: date


class _Concept(BaseModel):
    units: dict[str, list[_Fact]]


class _Ticker(BaseModel):
    cik_str: int
    ticker: str
    title: str


_CONCEPT = TypeAdapter(_Concept)
_TICKERS = TypeAdapter(dict[str, _Ticker])


def parse_company_tickers(content: bytes) -> dict[str, Company]:
    """Ticker → company from ``company_tickers.json`` (``{"0":{"cik_str":320193,"ticker":"AAPL",...}}``)."""
    try:
        entries = _TICKERS.validate_json(content)
    except ValidationError as exc:
        raise BadResponse(
            f"SEC EDGAR sent a malformed company_tickers.json ({exc.errors()[0]['msg']}).",
            source=SOURCE,
            item="company_tickers.json",
        ) from None
    out: dict[str, Company] = {}
    for entry in entries.values():
        key = entry.ticker.strip().upper().replace(".", "-")
        out.setdefault(key, Company(entry.cik_str, key, entry.title))
    return out


Row = tuple[str, str, date | None, date, int | None, str | None, str, float, str, date, str]
# metric, concept, start, end, fy, fp, form, value, unit, filed, accession


def _facts(facts: Mapping[str, Any], taxonomy: str, concept: str, unit: str, label: str) -> list[_Fact]:
    raw = facts.get(taxonomy, {}).get(concept) if isinstance(facts.get(taxonomy), dict) else None
    if raw is None:
        return []
    try:
        parsed = _CONCEPT.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadResponse(
            f"SEC EDGAR sent malformed company facts for {label}: "
            f"{taxonomy}:{concept} {where}: {first['msg']}.",
            source=SOURCE,
            item=label,
        ) from None
    return parsed.units.get(unit, [])


def _rows(metric: str, concept: str, unit: str, facts: list[_Fact]) -> list[Row]:
    return [
        (metric, concept, f.start, f.end, f.fy, f.fp, f.form, f.val, unit, f.filed, f.accn) for f in facts
    ]


def _debt_rows(facts: Mapping[str, Any], label: str) -> list[Row]:
    whole = _facts(facts, "us-gaap", DEBT_WHOLE, "USD", label)
    rows = _rows("total_debt", DEBT_WHOLE, "USD", whole)
    have = {(f.accn, f.end) for f in whole}
    current: dict[tuple[str, date], tuple[str, _Fact]] = {}
    for concept in reversed(DEBT_CURRENT):  # the preferred concept, inserted last, wins
        for f in _facts(facts, "us-gaap", concept, "USD", label):
            current[(f.accn, f.end)] = (concept, f)
    for f in _facts(facts, "us-gaap", DEBT_NONCURRENT, "USD", label):
        if (f.accn, f.end) in have:
            continue
        part = current.get((f.accn, f.end))
        concept = f"{DEBT_NONCURRENT}+{part[0]}" if part else DEBT_NONCURRENT
        value = f.val + (part[1].val if part else 0.0)
        rows.append(("total_debt", concept, None, f.end, f.fy, f.fp, f.form, value, "USD", f.filed, f.accn))
    return rows


def parse_company_facts(content: bytes, symbol: str, cik: int) -> FundamentalsResult:
    """Extract the mapped metrics from a companyfacts JSON, keeping first reports and restatements.

    For each metric and period the first filing's value is kept, plus every later filing that changed it
    (a restatement, known from its own ``filed`` date); repeats of an unchanged value in later filings
    are dropped. Where several concepts report the same period in one filing, the preferred one wins.
    """
    label = f"{symbol} ({cik_label(cik)})"
    try:
        payload = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadResponse(
            f"SEC EDGAR sent malformed company facts JSON for {label} ({exc}).", source=SOURCE, item=label
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("facts"), dict):
        raise BadResponse(
            f"SEC EDGAR sent company facts for {label} without a 'facts' object.", source=SOURCE, item=label
        )
    facts: dict[str, Any] = payload["facts"]
    entity = str(payload.get("entityName") or "")
    rows: list[Row] = []
    missing: list[str] = []
    for metric, (taxonomy, unit, concepts) in METRICS.items():
        found: list[Row] = []
        for concept in concepts:
            found += _rows(metric, concept, unit, _facts(facts, taxonomy, concept, unit, label))
        if not found:
            missing.append(metric)
        rows += found
    debt = _debt_rows(facts, label)
    if not debt:
        missing.append("total_debt")
    rows += debt
    if not rows:
        raise EmptyData(
            f"SEC EDGAR company facts for {label} hold none of the mapped metrics.", source=SOURCE, item=label
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "metric",
            "concept",
            "period_start",
            "period_end",
            "fiscal_year",
            "fiscal_period",
            "form",
            "value",
            "unit",
            "filed",
            "accession",
        ],
    )
    order = {c: i for _, (_, _, cs) in METRICS.items() for i, c in enumerate(cs)}
    frame["_pref"] = frame.concept.map(lambda c: order.get(c, 0 if c == DEBT_WHOLE else 1))
    # one value per metric, period and filing: the preferred concept
    frame = frame.sort_values(["metric", "period_start", "period_end", "filed", "accession", "_pref"])
    frame = frame.drop_duplicates(["metric", "period_start", "period_end", "accession"], keep="first")
    # first report plus changes (restatements), in filing order
    key = ["metric", "period_start", "period_end"]
    frame = frame.sort_values([*key, "filed", "accession"])
    previous = frame.groupby(key, dropna=False)["value"].shift(1)
    frame = frame[previous.isna() | (frame.value != previous)]
    frame = frame.drop(columns="_pref")
    frame.insert(0, "symbol", symbol)
    frame.insert(1, "cik", cik)
    for col in ("period_start", "period_end", "filed"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    frame["fiscal_year"] = frame.fiscal_year.astype("Int64")
    frame["value"] = frame.value.astype("float64")
    for col in ("symbol", "metric", "concept", "fiscal_period", "form", "unit", "accession"):
        frame[col] = frame[col].astype("str")
    frame = frame.sort_values(["metric", "period_end", "filed", "period_start"]).reset_index(drop=True)
    return FundamentalsResult(symbol, cik, entity, frame[list(FUNDAMENTAL_COLUMNS)], tuple(missing))


def _require_contact(user_agent: str, item: str) -> None:
    if "@" not in user_agent:
        raise ProviderConfigError(
            f"SEC EDGAR requires a User-Agent with contact details (e.g. 'rotascope you@example.com') "
            f"before fetching {item}; the current one is {user_agent!r}.",
            source=SOURCE,
            item=item,
        )


@register("sec")
class SecFetcher(Fetcher[SecQuery, SecRaw, FundamentalsResult]):
    """Ticker → CIK via company_tickers.json, then ``/api/xbrl/companyfacts/CIK##########.json``."""

    kind = "fundamentals"
    source = SOURCE

    def __init__(
        self,
        *,
        user_agent: str | None = None,
        client: HttpClient | None = None,
        tickers_url: str = TICKERS_URL,
        data_base_url: str = DATA_BASE_URL,
    ) -> None:
        if client is None:
            agent = user_agent or ""
            client = HttpClient(SOURCE, max_per_second=MAX_PER_SECOND, user_agent=agent or "rotascope")
        self.client = client
        self.tickers_url = tickers_url
        self.data_base_url = data_base_url.rstrip("/")
        self._companies: dict[str, Company] | None = None

    def transform_query(self, params: Mapping[str, Any]) -> SecQuery:
        item = str(params.get("symbol") or params.get("cik") or "company")
        return validate_query(SecQuery, params, SOURCE, item)

    def _check_client(self, item: str) -> None:
        _require_contact(self.client.user_agent, item)
        rate = self.client.max_per_second
        if rate is None or rate > MAX_PER_SECOND:
            raise ProviderConfigError(
                f"SEC EDGAR allows at most {MAX_PER_SECOND:g} requests per second; the client for {item} "
                f"is set to {rate if rate is not None else 'no limit'}.",
                source=SOURCE,
                item=item,
            )

    def companies(self) -> dict[str, Company]:
        """Ticker → company, downloaded once per fetcher."""
        if self._companies is None:
            response = self.client.get(self.tickers_url, item="company_tickers.json")
            self._companies = parse_company_tickers(response.content)
        return self._companies

    def resolve(self, query: SecQuery) -> tuple[str, int]:
        """(symbol, CIK) of the queried company."""
        if query.cik is not None:
            return query.symbol or cik_label(query.cik), query.cik
        symbol = query.symbol or ""
        company = self.companies().get(symbol)
        if company is None:
            raise NotFound(
                f"SEC EDGAR lists no company with ticker {symbol} in company_tickers.json.",
                source=SOURCE,
                item=symbol,
            )
        return symbol, company.cik

    def extract_data(self, query: SecQuery) -> SecRaw:
        self._check_client(query.label)
        symbol, cik = self.resolve(query)
        url = f"{self.data_base_url}/api/xbrl/companyfacts/{cik_label(cik)}.json"
        label = f"{symbol} ({cik_label(cik)})"
        response = self.client.get(url, item=label, accept=(404,))
        if response.status == 404:
            raise NotFound(
                f"SEC EDGAR has no company facts for {label} (HTTP 404).", source=SOURCE, item=label
            )
        return SecRaw(symbol, cik, response)

    def transform_data(self, query: SecQuery, raw: SecRaw) -> FundamentalsResult:
        return parse_company_facts(raw.response.content, raw.symbol, raw.cik)
