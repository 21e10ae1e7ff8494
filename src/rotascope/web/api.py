"""The JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``): thin over monitor, agents and store.

GET endpoints are read-only and deterministic for a given store, so their JSON is computed once per
question (as-of date, lookback, symbol) and served from a bounded cache afterwards. The only endpoints
that write are the two POSTs, which store an analysis in the store's ``analyses`` table (inside the data
directory), exactly as `rotascope analyze` / `rotascope debate` do.

Every answer's numbers are the Python API's numbers: the bodies are the records' own canonical JSON
(``Record.to_json``: sorted keys, the records' rounding), only without the indentation. The monitor,
analysis and debate bodies also carry the data's freshness at their top level (``data_as_of``,
``data_age_days``, ``stale``, ...), the same fields as the CLI's JSON, computed when served (never cached
past the day).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from rotascope import __version__
from rotascope.analysis.service import Analyst
from rotascope.backtest.result import BacktestResult
from rotascope.backtest.store import list_backtests, load_backtest
from rotascope.fundamentals.screen import ScreenResult, screen_at
from rotascope.fundamentals.valuation import valuation_at
from rotascope.monitor.freshness import Freshness, fresh_payload
from rotascope.monitor.run import MIN_HISTORY, Monitor, MonitorResult
from rotascope.monitor.session import Session, open_session
from rotascope.monitor.valcache import revisions_reading
from rotascope.records import Analysis, Record, ValuationLens
from rotascope.report.chartdata import ChartData, chart_data
from rotascope.report.diff import AnalysisDiff, diff_analyses
from rotascope.store.analyses import list_analyses, load_analysis, save_analysis
from rotascope.web.state import NotFound, Problem, QuotaExceeded, WebState, state_of

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A parameter is malformed."},
    404: {"model": Problem, "description": "Unknown symbol, analysis or backtest id."},
    422: {"model": Problem, "description": "Invalid parameter, or a date the data cannot answer."},
    503: {"model": Problem, "description": "The store is missing, empty, locked or unreadable."},
    507: {"model": Problem, "description": "A POST would exceed the cap on stored analyses."},
}
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

MAX_LOOKBACK = 2520
"""Ten years of trading days: a chart longer than that is not a dashboard question."""
SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,14}$")
ANALYSIS_ID_RE = re.compile(r"^[0-9a-f]{1,64}$")
BACKTEST_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")

AsOf = Annotated[
    date | None,
    Query(description="As-of date YYYY-MM-DD (the last trading day on or before it); default: latest."),
]


class HistoryItem(BaseModel):
    """One stored analysis in the history list."""

    id: str
    kind: str
    subject: str
    as_of: date
    created_at: datetime
    """When it was stored (UTC)."""
    config_hash: str
    data_fingerprint: str


class BacktestItem(BaseModel):
    """One stored backtest run (table ``backtests``)."""

    id: str
    created_at: datetime | None
    start: date | None
    end: date | None
    data_fingerprint: str | None


class BacktestDetail(Record):
    """A stored backtest run: its id and the stored result record (attribution, strategies, caveats)."""

    id: str
    result: BacktestResult


class MonitorAnswer(MonitorResult, Freshness):
    """The monitor as of a date, with the data's freshness at its top level (as `monitor -f json`)."""


class AnalysisAnswer(Analysis, Freshness):
    """An analysis with the data's freshness at its top level (as `rotascope analyze -f json`); the stored
    analysis (``/api/history/{id}``) is the ``Analysis`` alone."""


class Health(BaseModel):
    """Liveness and what the server is serving."""

    status: Literal["ok"]
    version: str
    store: str
    """The store's file name (never its path)."""
    store_exists: bool
    monitor_ready: bool
    first_as_of: date | None = None
    last_as_of: date | None = None
    source: str | None = None
    data_fingerprint: str | None = None
    disclaimer: str = "Research tooling, not investment advice."


def _utc(value: datetime | None) -> datetime | None:
    """Stored timestamps are naive UTC; mark them so the JSON is a valid RFC 3339 date-time."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def body_of(record: Record) -> bytes:
    """A record's canonical JSON (sorted keys, the record's own rounding), without the indentation."""
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()


def _fresh_body(body: bytes, fresh: Freshness) -> bytes:
    """A record's body with the freshness fields added at its top level (same keys as the CLI's JSON)."""
    payload = fresh_payload(json.loads(body), fresh)
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


def _session(st: WebState, monitor: Monitor, as_of: date | None) -> Session:
    """The request's as-of resolved once (clear 422 outside the data), with today's freshness."""
    return open_session(monitor, st.settings, as_of)


def first_as_of(monitor: Monitor) -> date:
    """Earliest as-of date the monitor accepts (it needs MIN_HISTORY trading days before it)."""
    cal = monitor.panel.calendar
    return cal[min(MIN_HISTORY, len(cal) - 1)].astype(date)  # type: ignore[no-any-return]


def last_as_of(monitor: Monitor) -> date:
    """The last complete session (later sessions lack an input the ladder reads)."""
    return monitor.complete.last


@router.get("/health", response_model=Health, summary="Liveness and data range")
async def health(request: Request) -> Health:
    """Always answers at once, even under load: on the event loop, from memory only (no store, no thread
    pool, no fingerprint re-read), the store and the as-of range once the monitor is built."""
    st = state_of(request)
    m = st.built_monitor
    out = Health(
        status="ok",
        version=__version__,
        store=st.settings.db.name,  # the file name only: the server never reveals where its files live
        store_exists=st.settings.db.exists(),
        monitor_ready=m is not None,
    )
    if m is not None:
        data = m.panel.data
        out = out.model_copy(
            update={
                "first_as_of": first_as_of(m),
                "last_as_of": last_as_of(m),
                "source": data.source,
                "data_fingerprint": data.fingerprint,
            }
        )
    return out


async def _monitor_async(st: WebState) -> Monitor:
    """The monitor without blocking the event loop while it is first built."""
    if st.monitor_ready and not st.refresh_due():
        return st.monitor()
    return await run_in_threadpool(st.monitor)  # may re-read the fingerprint or build: off the loop


async def _cached(st: WebState, key: tuple[object, ...], make: Callable[[], bytes]) -> Response:
    """Serve a cached answer straight from the event loop; compute a missing one in the thread pool."""
    key = (st.generation, *key)
    body = st.json_cache.peek(key)
    if body is None:
        body = await run_in_threadpool(st.json_cache.get_or_make, key, make)
    return _json(body)


@router.get("/monitor", response_model=MonitorAnswer, summary="The rotation monitor as of a date")
async def monitor(request: Request, as_of: AsOf = None) -> Response:
    """Relative strength, rotation, breadth, macro, the evidence ladder, checklist and killers, and how old
    the data is."""
    st = state_of(request)
    m = await _monitor_async(st)
    s = _session(st, m, as_of)
    fresh = s.fresh  # today's: the cache key carries the day it was computed on
    return await _cached(
        st, ("monitor", s.as_of, fresh.today), lambda: _fresh_body(body_of(m.on(s.as_of)), fresh)
    )


@router.get("/valuation", response_model=ValuationLens | None, summary="The valuation lens as of a date")
async def valuation(request: Request, as_of: AsOf = None) -> Response:
    """Small vs big caps' BE/ME spread and relative profitability against financing conditions (null when
    no Fama-French portfolio data is stored)."""
    st = state_of(request)
    m = await _monitor_async(st)
    s = _session(st, m, as_of)

    def make() -> bytes:
        improve, source = revisions_reading(m.on(s.as_of).regime)
        with st.store() as store:
            lens = valuation_at(store, s.as_of, improve, source)
        return body_of(lens) if lens is not None else b"null"

    return await _cached(st, ("valuation", s.as_of), make)


@router.get("/charts", response_model=ChartData, summary="Dashboard chart series as of a date")
async def charts(
    request: Request,
    as_of: AsOf = None,
    lookback: Annotated[
        int, Query(ge=20, le=MAX_LOOKBACK, description="Trading days of history ending at the as-of date.")
    ] = 504,
) -> Response:
    """Ratio lines with averages, breadth, A/D line, rates, credit and RRG tails; nothing after as-of."""
    st = state_of(request)
    m = await _monitor_async(st)
    s = _session(st, m, as_of)
    return await _cached(
        st, ("charts", s.as_of, lookback), lambda: body_of(chart_data(m.panel, s.as_of, lookback))
    )


def _served(st: WebState, s: Session, key: tuple[object, ...], body: bytes) -> bytes:
    """``body`` with the request's freshness of the data, cached for the day (``key`` names the answer)."""
    fresh = s.fresh
    return st.json_cache.get_or_make(
        (st.generation, "fresh", *key, fresh.today), lambda: _fresh_body(body, fresh)
    )


def _universe(st: WebState, as_of: date | None) -> tuple[Analysis, bytes]:
    """The universe analysis and its served body (with the data's freshness)."""
    m = st.monitor()
    s = _session(st, m, as_of)

    def make() -> bytes:
        with st.store() as store:
            return body_of(Analyst(store, st.settings, m).universe(s))

    body = st.json_cache.get_or_make((st.generation, "analysis", s.as_of), make)
    return Analysis.model_validate_json(body), _served(st, s, ("analysis", s.as_of), body)


@router.get(
    "/analysis", response_model=AnalysisAnswer, summary="Universe analysis (agents, debate, decision)"
)
def analysis(request: Request, as_of: AsOf = None) -> Response:
    """The four agents, their debate and the decision/risk agent on small caps vs SPY. Not stored."""
    return _json(_universe(state_of(request), as_of)[1])


@router.post("/analysis", response_model=AnalysisAnswer, summary="Run and store a universe analysis")
def store_analysis(request: Request, as_of: AsOf = None) -> Response:
    """Like GET, then saved in the history (same id as `rotascope analyze` on the same data and config)."""

    st = state_of(request)
    st.refresh(force=True)  # never store an id computed from data `update` has since replaced
    result, body = _universe(st, as_of)
    _save(st, result)
    return _json(body)


def _save(st: WebState, result: Analysis) -> None:
    """Store an analysis in a short write window, unless the store is at its ``web_max_analyses`` cap."""
    cap = st.settings.web_max_analyses
    if cap:
        with st.store() as store:
            count, known = store.conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE id = ?) FROM analyses", [result.id]
            ).fetchall()[0]
        if count >= cap and not known:
            raise QuotaExceeded(
                f"The store already holds {count} analyses, the web_max_analyses cap; nothing was stored "
                "(the GET endpoints still answer)."
            )
    with st.store(write=True) as store:
        save_analysis(store, result)


def _normalise_symbol(symbol: str) -> str:
    name = symbol.strip().upper()
    if not SYMBOL_RE.match(name):
        raise NotFound(f"Unknown symbol {symbol[:40]!r}: symbols are letters, digits, '.' or '-'.")
    return name


def _stock(st: WebState, symbol: str, as_of: date | None) -> tuple[Analysis, bytes]:
    name = _normalise_symbol(symbol)
    m = st.monitor()
    s = _session(st, m, as_of)

    def make() -> bytes:
        with st.store() as store:
            if not store.has_symbol(name):
                raise NotFound(f"Unknown symbol {name!r}: `rotascope data status` lists what is stored.")
            return body_of(Analyst(store, st.settings, m).single(name, s))

    body = st.json_cache.get_or_make((st.generation, "debate", name, s.as_of), make)
    return Analysis.model_validate_json(body), _served(st, s, ("debate", name, s.as_of), body)


@router.get("/debate/{symbol}", response_model=AnalysisAnswer, summary="Single-stock debate")
def debate(
    request: Request,
    symbol: Annotated[str, Path(description="A stored stock symbol, e.g. a Russell 2000 member.")],
    as_of: AsOf = None,
) -> Response:
    """The agents on one stock, then bull/base/bear scenarios and risk controls. Not stored."""
    return _json(_stock(state_of(request), symbol, as_of)[1])


@router.post("/debate/{symbol}", response_model=AnalysisAnswer, summary="Run and store a single-stock debate")
def store_debate(
    request: Request,
    symbol: Annotated[str, Path(description="A stored stock symbol.")],
    as_of: AsOf = None,
) -> Response:
    """Like GET, then saved in the history (same id as `rotascope debate`)."""

    st = state_of(request)
    st.refresh(force=True)
    result, body = _stock(st, symbol, as_of)
    _save(st, result)
    return _json(body)


@router.get("/history", response_model=list[HistoryItem], summary="Stored analyses, newest first")
def history(
    request: Request,
    kind: Annotated[Literal["universe", "stock"] | None, Query(description="Only this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many of the latest.")] = 100,
) -> list[HistoryItem]:
    """The analyses stored by `rotascope analyze`/`debate` (or the POST endpoints)."""
    with state_of(request).store() as store:
        rows = list_analyses(store, kind=kind, limit=limit)
    return [HistoryItem(**{**r.__dict__, "created_at": _utc(r.created_at)}) for r in rows]


def _load(st: WebState, ident: str) -> Analysis:
    key = ident.strip().lower()
    if not ANALYSIS_ID_RE.match(key):
        raise NotFound(f"No stored analysis with id {ident[:40]!r}: ids are hexadecimal (see /api/history).")
    with st.store() as store:
        return load_analysis(store, key)


@router.get("/history/{analysis_id}", response_model=Analysis, summary="One stored analysis")
def history_item(
    request: Request,
    analysis_id: Annotated[str, Path(description="Analysis id or a unique prefix of it.")],
) -> Response:
    return _json(body_of(_load(state_of(request), analysis_id)))


@router.get("/diff", response_model=AnalysisDiff, summary="Compare two stored analyses")
def diff(
    request: Request,
    a: Annotated[str, Query(description="Id (or unique prefix) of the earlier analysis.")],
    b: Annotated[str, Query(description="Id (or unique prefix) of the later analysis.")],
) -> Response:
    """Ladder level, stance, scenario probabilities, per-agent score/stance and changed evidence (b - a)."""
    st = state_of(request)
    return _json(body_of(diff_analyses(_load(st, a), _load(st, b))))


@router.get("/screen", response_model=ScreenResult, summary="Quality small-cap screen as of a date")
async def screen(
    request: Request,
    as_of: AsOf = None,
    top: Annotated[int, Query(ge=1, le=3000, description="How many ranked members to return.")] = 50,
) -> Response:
    """Russell 2000 members ranked point in time by quality (fundamentals known at the as-of) and momentum;
    members without fundamentals are listed apart, never scored as zero."""
    st = state_of(request)
    m = await _monitor_async(st)
    s = _session(st, m, as_of)

    def make() -> bytes:
        with st.store() as store:
            return body_of(screen_at(store, s.as_of, top, m.thresholds.screen))

    return await _cached(st, ("screen", s.as_of, top), make)


@router.get("/backtests", response_model=list[BacktestItem], summary="Stored backtest runs")
def backtests(request: Request) -> list[BacktestItem]:
    """Runs saved by `rotascope backtest` (empty when none has been stored yet)."""
    with state_of(request).store() as store:
        rows = list_backtests(store)
    return [
        BacktestItem(
            id=r.id, created_at=r.created_at, start=r.start, end=r.end, data_fingerprint=r.data_fingerprint
        )
        for r in rows
    ]


@router.get("/backtests/{backtest_id}", response_model=BacktestDetail, summary="One stored backtest run")
def backtest(
    request: Request, backtest_id: Annotated[str, Path(description="A backtest id from /api/backtests.")]
) -> Response:
    """The stored run re-read as its record (a row this version cannot read is a 503 with one sentence)."""
    if not BACKTEST_ID_RE.match(backtest_id):
        raise NotFound(f"No stored backtest with id {backtest_id[:40]!r} (see /api/backtests).")
    with state_of(request).store() as store:
        result = load_backtest(store, backtest_id)
    if result is None:
        raise NotFound(f"No stored backtest with id {backtest_id!r} (see /api/backtests).")
    return _json(body_of(BacktestDetail(id=backtest_id, result=result)))
