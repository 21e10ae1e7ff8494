"""Dashboard pages: server-rendered HTML shells (jinja2, autoescaped) whose charts and tables are drawn
by ``static/app.js`` from the JSON API, so a page shows exactly the numbers the API serves.

Each page carries the as-of range of the data (for the date picker), the survivorship caveat and the
"research tooling, not investment advice" line. Pages send a strict Content-Security-Policy (scripts and
styles only from this server), so nothing on them can load or run code from elsewhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from rotascope.monitor.engine import SURVIVORSHIP
from rotascope.monitor.freshness import freshness
from rotascope.web.api import first_as_of, last_as_of
from rotascope.web.state import HERE, state_of

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
DISCLAIMER = "rotascope is research tooling, not investment advice."
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NAV = (
    ("dashboard", "/", "Dashboard"),
    ("ladder", "/ladder", "Evidence ladder"),
    ("debate", "/debate", "Debate"),
    ("stock", "/stock", "Single stock"),
    ("screen", "/screen", "Screen"),
    ("history", "/history", "History"),
    ("backtests", "/backtests", "Backtests"),
)
TITLES = {key: title for key, _, title in NAV}
Text = Annotated[str | None, Query(max_length=40)]


def _render(
    request: Request, page: str, *, as_of: str | None = None, symbol: str | None = None
) -> HTMLResponse:
    """Render ``<page>.html`` inside the shared layout (nav, as-of picker, caveats)."""
    st = state_of(request)
    m = st.monitor()
    first, last = first_as_of(m), last_as_of(m)
    fresh = freshness(m, st.settings)
    html = _env.get_template(f"{page}.html").render(
        page=page,
        title=TITLES[page],
        nav=NAV,
        as_of=(as_of or "").strip(),
        symbol=(symbol or "").strip().upper(),
        first=first.isoformat(),
        last=last.isoformat(),
        source=m.panel.data.source,
        survivorship=SURVIVORSHIP,
        disclaimer=DISCLAIMER,
        today=fresh.today.isoformat(),
        freshness=fresh.lines(),
        stale=fresh.stale,
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, as_of: Text = None) -> HTMLResponse:
    """Rotation dashboard: IWM/SPY and RSP/SPY with trends, breadth, RRG, rates, credit, ladder summary."""
    return _render(request, "dashboard", as_of=as_of)


@router.get("/ladder", response_class=HTMLResponse)
def ladder(request: Request, as_of: Text = None) -> HTMLResponse:
    """The evidence ladder with every number, the checklist and the rotation killers."""
    return _render(request, "ladder", as_of=as_of)


@router.get("/debate", response_class=HTMLResponse)
def debate(request: Request, as_of: Text = None) -> HTMLResponse:
    """Universe debate transcript and the decision/risk agent's view."""
    return _render(request, "debate", as_of=as_of)


@router.get("/stock", response_class=HTMLResponse)
def stock(request: Request, as_of: Text = None, symbol: Text = None) -> HTMLResponse:
    """Single-stock debate: a symbol and an as-of date."""
    return _render(request, "stock", as_of=as_of, symbol=symbol)


@router.get("/history", response_class=HTMLResponse)
def history(request: Request) -> HTMLResponse:
    """Stored analyses, and the diff of two of them."""
    return _render(request, "history")


@router.get("/backtests", response_class=HTMLResponse)
def backtests(request: Request) -> HTMLResponse:
    """Stored backtest runs: strategies vs benchmarks and signal attribution."""
    return _render(request, "backtests")


@router.get("/screen", response_class=HTMLResponse)
def screen(request: Request, as_of: Text = None) -> HTMLResponse:
    """Quality small-cap screen: ranked members with their inputs and dates; members without fundamentals."""
    return _render(request, "screen", as_of=as_of)
