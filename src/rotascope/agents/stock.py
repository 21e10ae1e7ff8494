"""Single-stock debate: the same lenses on one small-cap name, then bull/base/bear and risk controls.

Member stocks have closes only (no highs/lows), so the stock's ATR is the close-to-close version
(Wilder average of |close_t - close_{t-1}|) and is labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from rotascope._typing import Float64Array
from rotascope.agents.base import AgentContext, agent_rules, claim, ev, has_recent_range, opinion
from rotascope.agents.fundamentals import company_claims
from rotascope.agents.run import assemble
from rotascope.agents.sentiment import analyze as sentiment_analyze
from rotascope.errors import DataError
from rotascope.fundamentals.store import Fundamentals
from rotascope.indicators.kernels import sma, wilder
from rotascope.indicators.volatility import atr
from rotascope.measures import HY_OAS_CHG_13W, UST_10Y_CHG_13W
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis, AnalysisKind, AtrMethod, Headline, Opinion, RiskView, rnd
from rotascope.risk.models import Invalidation, RiskPlan

WEEK = 5


@dataclass(frozen=True)
class StockContext:
    """One stock's closes on the monitor calendar, with its sector peers, as of a date."""

    ctx: AgentContext
    symbol: str
    sector: str | None
    close: Float64Array
    """The stock's closes up to and including the as-of row (never later)."""
    benchmark: str = "IWM"
    """What the subject is judged against: IWM for stocks, SPY for regime ETFs."""
    high_low: tuple[Float64Array, Float64Array] | None = None
    """Stored highs and lows up to the as-of row (ETFs); None means closes only (member stocks)."""


def _ret(x: Float64Array, k: int) -> float | None:
    if len(x) <= k or not np.isfinite(x[-1]) or not np.isfinite(x[-1 - k]):
        return None
    return float(x[-1] / x[-1 - k] - 1)


def _last(x: Float64Array) -> float | None:
    return float(x[-1]) if len(x) and np.isfinite(x[-1]) else None


def peer_median_return(s: StockContext, k: int) -> float | None:
    """Median k-day return of the stock's sector peers among R2000 members (as of the same row)."""
    data = s.ctx.panel.data
    cols = [
        i
        for i, sec in enumerate(data.member_sectors)
        if sec == s.sector and data.members.symbols[i] != s.symbol
    ]
    if not cols:
        return None
    w = s.ctx.member_window(k + 1)[:, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = w[-1] / w[0] - 1
    r = r[np.isfinite(r)]
    return float(np.median(r)) if len(r) else None


def rate_beta(s: StockContext, weeks: int = 260) -> tuple[float | None, int]:
    """OLS beta of the stock's weekly return on the weekly change of the 10-year yield (pp), trailing."""
    t = s.ctx.row
    y10 = s.ctx.panel.macro["ust_10y"].values[: t + 1]
    rows = np.arange(t, -1, -WEEK)[::-1][-(weeks + 1) :]
    px, yl = s.close[rows], y10[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        r, dy = px[1:] / px[:-1] - 1, np.diff(yl)
    ok = np.isfinite(r) & np.isfinite(dy)
    if ok.sum() < 52 or np.var(dy[ok]) == 0:
        return None, int(ok.sum())
    return float(np.cov(r[ok], dy[ok], ddof=1)[0, 1] / np.var(dy[ok], ddof=1)), int(ok.sum())


def stock_opinions(s: StockContext) -> list[Opinion]:
    ctx, c = s.ctx, s.close
    rules = agent_rules(ctx)
    name = s.symbol
    sma50, sma200 = sma(c, 50), sma(c, 200)
    bench = s.benchmark
    ref = ctx.closes(bench, len(c))
    rel = c / ref if len(ref) == len(c) else np.full(len(c), np.nan)
    rel_sma50 = sma(rel, 50)
    src = f"{name} close, {bench} close"
    internals = opinion(
        "internals",
        f"{name}: trend and relative strength",
        ctx.as_of,
        [
            claim(
                "internals",
                "trend",
                f"{name} is above its 50- and 200-day averages",
                [
                    ev(
                        ctx,
                        f"{name} vs its 50-day average",
                        _rel_to(c, sma50),
                        ">",
                        0.0,
                        source=f"{name} close",
                        window="50d",
                        unit="fraction",
                    ),
                    ev(
                        ctx,
                        f"{name} vs its 200-day average",
                        _rel_to(c, sma200),
                        ">",
                        0.0,
                        source=f"{name} close",
                        window="200d",
                        unit="fraction",
                    ),
                ],
                1.0,
            ),
            claim(
                "internals",
                "rs_iwm",
                f"{name} is beating {bench} over 3 months",
                [
                    ev(
                        ctx,
                        f"{name}/{bench} 3m relative return",
                        _ret(rel, 63),
                        ">=",
                        0.0,
                        source=src,
                        window="63d",
                        unit="fraction",
                    )
                ],
                0.8,
            ),
            claim(
                "internals",
                "rs_trend",
                f"{name}/{bench} is above its 50-day average",
                [
                    ev(
                        ctx,
                        f"{name}/{bench} vs its 50-day average",
                        _rel_to(rel, rel_sma50),
                        ">",
                        0.0,
                        source=src,
                        window="50d",
                        unit="fraction",
                    )
                ],
                0.5,
            ),
            claim(
                "internals",
                "rs_sector",
                f"{name} is beating its sector peers over 3 months",
                [
                    ev(
                        ctx,
                        f"{name} 3m return minus peer median",
                        _diff(_ret(c, 63), peer_median_return(s, 63)),
                        ">=",
                        0.0,
                        source=f"R2000 members in {s.sector}",
                        window="63d",
                        unit="fraction",
                    )
                ],
                0.6,
            ),
        ],
        [f"{name} is one stock: idiosyncratic news can swamp every signal here."],
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        logret = np.diff(np.log(c[-64:]))
    vol = float(np.nanstd(logret, ddof=1) * np.sqrt(252)) if np.isfinite(logret).sum() > 40 else None
    members = ctx.member_window(64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mret = np.diff(np.log(members), axis=0)
    full = np.isfinite(mret).all(axis=0)
    mvol = (
        mret[:, full].std(axis=0, ddof=1) * np.sqrt(252) if full.sum() > 1 and len(mret) > 1 else np.array([])
    )
    peer_vol = float(np.median(mvol)) if len(mvol) else None
    high = np.nanmax(c[-252:]) if np.isfinite(c[-252:]).any() else np.nan
    dd = float(c[-1] / high - 1) if np.isfinite(c[-1]) and np.isfinite(high) else None
    company, company_note = company_claims(ctx, name, c)
    fundamentals = opinion(
        "fundamentals",
        f"{name}: company fundamentals and quality proxies (price behaviour)"
        if company
        else f"{name}: quality proxies (price behaviour)",
        ctx.as_of,
        [
            *company,
            claim(
                "fundamentals",
                "calm",
                f"{name} is no more volatile than the typical small cap",
                [
                    ev(
                        ctx,
                        f"{name} 63-day realised vol minus R2000 median",
                        _diff(vol, peer_vol),
                        "<=",
                        0.0,
                        source=f"{name} and R2000 member closes",
                        window="63d",
                        unit="annualised",
                    )
                ],
                0.6,
            ),
            claim(
                "fundamentals",
                "drawdown",
                f"{name} is within 25 % of its 52-week high",
                [
                    ev(
                        ctx,
                        f"{name} below its 52-week high",
                        dd,
                        ">=",
                        rules.stock.min_drawdown_from_high,
                        source=f"{name} close",
                        window="252d",
                        unit="fraction",
                    )
                ],
                0.5,
            ),
        ],
        []
        if company
        else [
            f"No company fundamentals known for {name} at {ctx.as_of}: quality is proxied by price behaviour."
        ],
        f"{company_note} Volatility and drawdown claims are price proxies.",
    )
    beta, n = rate_beta(s)
    d10 = UST_10Y_CHG_13W.of(ctx.result.snapshot)
    helped = None if beta is None or d10 is None else beta * d10
    macro = opinion(
        "macro",
        f"{name}: rate sensitivity and credit backdrop",
        ctx.as_of,
        [
            claim(
                "macro",
                "rates",
                f"The recent move in yields helps {name}, given its rate sensitivity",
                [
                    ev(
                        ctx,
                        f"{name} rate beta x 13-week change in the 10-year",
                        helped,
                        ">=",
                        0.0,
                        source="FRED DGS10, weekly returns",
                        window=f"{n} weeks",
                        unit="fraction",
                        note=f"beta = {beta:+.3f} per pp" if beta is not None else "beta not estimable",
                    )
                ],
                0.6,
            ),
            claim(
                "macro",
                "credit",
                "High-yield spreads are stable or tightening",
                [
                    ev(
                        ctx,
                        "HY OAS change over 13 weeks",
                        HY_OAS_CHG_13W.of(ctx.result.snapshot),
                        "<=",
                        0.0,
                        source="FRED BAMLH0A0HYM2",
                        window="63d",
                        unit="pp",
                    )
                ],
                0.5,
            ),
        ],
        [f"{k.name} triggered." for k in ctx.result.regime.killers if k.triggered],
    )
    return [fundamentals, macro, internals]


def _rel_to(x: Float64Array, ref: Float64Array) -> float | None:
    a, b = _last(x), _last(ref)
    return None if a is None or b is None or b == 0 else a / b - 1


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def stock_risk(s: StockContext, conviction: float) -> tuple[RiskView, list[str]]:
    """ATR stop, vol-targeted size, invalidation levels for one name.

    ETFs have stored highs and lows: Wilder ATR-14 of the true range. Member stocks have closes only:
    the close-to-close ATR (Wilder average of |Δclose|), labelled as such.
    """
    c = s.close
    rules = agent_rules(s.ctx).stock
    method: AtrMethod
    if s.high_low is not None and has_recent_range(s.high_low[0], s.high_low[1], len(c) - 1):
        atr_series = atr(s.high_low[0], s.high_low[1], c, 14)
        method = "wilder_true_range_14"
    else:
        atr_series = wilder(np.abs(np.diff(c, prepend=np.nan)), 14)
        method = "close_to_close_14"
    price, unit = _last(c), _last(atr_series)
    with np.errstate(invalid="ignore", divide="ignore"):
        vol = float(np.nanstd(np.diff(np.log(c[-64:])), ddof=1) * np.sqrt(252))
    weight = rnd(min(1.0, rules.vol_target / vol), 4) if np.isfinite(vol) and vol > 0 else None
    low20 = float(np.nanmin(c[-20:])) if np.isfinite(c[-20:]).any() else None
    levels = [
        _below(s.symbol, "sma200", f"{s.symbol} closes below its 200-day average", _last(sma(c, 200)), price),
        _below(s.symbol, "low20", f"{s.symbol} closes below its 20-day low", low20, price),
    ]
    inval = [f"{i.name} ({i.level:.2f})" for i in levels if i.level is not None]
    stop = None if price is None or unit is None else rnd(price - 2 * unit)
    plan = RiskPlan(
        as_of=s.ctx.as_of,
        horizon_weeks=13,
        drawdown_limit=rules.drawdown_limit,
        drawdown_rule=f"exit if the position loses {rules.drawdown_limit:.0%} from entry",
        pair_vol_63d=None,
        exit_rules=[f"exit if {x}" for x in inval]
        + [
            f"exit if the position loses {rules.drawdown_limit:.0%} from entry",
            "review weekly; exit at 13 weeks unless re-confirmed",
        ],
    )
    view = RiskView(
        subject=s.symbol,
        as_of=s.ctx.as_of,
        price=rnd(price),
        atr=rnd(unit),
        atr_method=method,
        stop=stop,
        stop_distance=rnd(stop / price - 1) if stop is not None and price else None,
        realised_vol_63d=rnd(vol, 4),
        vol_target=rules.vol_target,
        vol_weight=weight,
        position=rnd((weight or 0.0) * rules.max_position * float(np.sign(conviction)), 4),
        capital_basis=100_000.0,
        invalidation=levels,
        plan=plan,
        not_available=["Stress tests are run for the universe tilt only."],
    )
    return view, inval


def _below(symbol: str, key: str, name: str, level: float | None, price: float | None) -> Invalidation:
    """A price level the thesis fails below (distance: fraction of room left above it)."""
    known = level is not None and price is not None
    return Invalidation(
        key=f"{symbol.lower()}_{key}",
        name=name,
        level=rnd(level),
        current=rnd(price),
        unit="price",
        direction="below",
        distance=rnd(price - level) if known and price is not None and level is not None else None,
        rule=f"{name}: wrong if the close falls below the level",
        breached=(price < level) if known and price is not None and level is not None else None,
    )


def stock_analysis(
    monitor: Monitor,
    symbol: str,
    close_full: Float64Array,
    sector: str | None,
    as_of: date | None,
    config_hash: str,
    headlines: list[Headline] | None = None,
    *,
    benchmark: str = "IWM",
    high_low: tuple[Float64Array, Float64Array] | None = None,
    fundamentals: Fundamentals | None = None,
) -> Analysis:
    """Debate one stock (vs IWM) or regime ETF (vs SPY) as of a date; ``close_full`` is its close on the
    monitor calendar, ``high_low`` its highs and lows there when stored (ETFs)."""
    result = monitor.at(as_of)
    ctx = AgentContext(result, monitor.panel, fundamentals, monitor.thresholds)
    close = close_full[: ctx.row + 1]
    if np.isfinite(close).sum() < 260:
        raise DataError(
            f"{symbol} has fewer than 260 closes up to {result.as_of}; too little history to debate."
        )
    if not np.isfinite(close[-1]):
        raise DataError(f"{symbol} has no close on {result.as_of}.")
    hl = None if high_low is None else (high_low[0][: ctx.row + 1], high_low[1][: ctx.row + 1])
    s = StockContext(ctx, symbol, sector, close, benchmark, hl)
    initial = [*stock_opinions(s), sentiment_analyze(ctx, headlines)]

    def risk_for(conviction: float) -> tuple[RiskView | None, float | None, list[str]]:
        risk, inval = stock_risk(s, conviction)
        return risk, None, inval

    kind: AnalysisKind = "stock" if benchmark == "IWM" else "regime"
    return assemble(kind, symbol, symbol, result, initial, config_hash, risk_for)
