"""Single-stock debate: the same lenses on one small-cap name, then bull/base/bear and risk controls.

Member stocks have closes only (no highs/lows), so the stock's ATR is the close-to-close version
(Wilder average of |close_t - close_{t-1}|) and is labelled as such.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from rotascope._typing import Float64Array
from rotascope.agents.base import AgentContext, agent_rules, has_recent_range, opinion
from rotascope.agents.columns import ClaimSpec, Column, EvidenceSpec
from rotascope.agents.columns import macro as macro_column
from rotascope.agents.fundamentals import company_claims
from rotascope.agents.run import assemble
from rotascope.agents.sentiment import analyze as sentiment_analyze
from rotascope.agents.vector import IntArray
from rotascope.calibration.single import base_rate_call
from rotascope.errors import DataError
from rotascope.fundamentals.store import Fundamentals
from rotascope.indicators.kernels import sma, wilder
from rotascope.indicators.volatility import atr
from rotascope.measures import HY_OAS_CHG_13W, UST_10Y_CHG_13W
from rotascope.monitor.engine import MonitorPanel
from rotascope.monitor.run import Monitor, MonitorResult
from rotascope.records import (
    Analysis,
    AnalysisKind,
    AtrMethod,
    Calibration,
    Headline,
    Opinion,
    RiskView,
    rnd,
)
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
    etf: bool = False
    """A regime ETF (a basket), not one company."""


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


TAIL = 253
"""Rows of closes the price measures read (a 252-day high and the close before it)."""
RET_DAYS = 63
VOL_RETURNS = 63
MIN_VOL_RETURNS = 40
"""More log returns than this in the 63-day window, or no realised volatility."""


def price_measures(close: Float64Array, ref: Float64Array) -> dict[str, Float64Array]:
    """Trend, relative strength, volatility and drawdown of each column of ``close`` at its last row.

    ``close`` is (rows x stocks) ending at the as-of row, ``ref`` the benchmark's closes on the same rows.
    Every measure reads only the trailing window it names, so the tail of a long history gives the same
    floats as the whole of it; one stock and every member go through this same code. NaN = no data.
    """
    c = np.asarray(close, dtype=np.float64)[-TAIL:]
    r = np.asarray(ref, dtype=np.float64)[-TAIL:]
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = c / r[:, None]
        last, rel_last = c[-1], rel[-1]
        sma50, sma200, rel_sma50 = sma(c, 50)[-1], sma(c, 200)[-1], sma(rel, 50)[-1]
        vs50 = np.where(sma50 != 0, last / sma50 - 1, np.nan)
        vs200 = np.where(sma200 != 0, last / sma200 - 1, np.nan)
        rel_vs50 = np.where(rel_sma50 != 0, rel_last / rel_sma50 - 1, np.nan)
        ret = last / c[-1 - RET_DAYS] - 1 if len(c) > RET_DAYS else np.full(c.shape[1], np.nan)
        rel_ret = rel_last / rel[-1 - RET_DAYS] - 1 if len(c) > RET_DAYS else np.full(c.shape[1], np.nan)
        logret = np.diff(np.log(c[-VOL_RETURNS - 1 :]), axis=0).T.copy()  # stocks x returns, contiguous
        n = np.isfinite(logret).sum(axis=1)
        with warnings.catch_warnings():  # a stock with no return in the window: NaN, said by n below
            warnings.simplefilter("ignore", RuntimeWarning)
            vol = np.nanstd(logret, axis=1, ddof=1) * np.sqrt(252)
        high = np.nanmax(np.where(np.isfinite(c[-252:]), c[-252:], -np.inf), axis=0)
        dd = last / high - 1
    return {
        "vs_sma50": vs50,
        "vs_sma200": vs200,
        "ret_3m": np.where(np.isfinite(ret), ret, np.nan),
        "rel_3m": np.where(np.isfinite(rel_ret), rel_ret, np.nan),
        "rel_vs_sma50": rel_vs50,
        "vol_63d": np.where(n > MIN_VOL_RETURNS, vol, np.nan),
        "drawdown": np.where(np.isfinite(dd), dd, np.nan),
    }


def rate_betas(
    close: Float64Array, y10: Float64Array, t: int, weeks: int = 260
) -> tuple[Float64Array, IntArray]:
    """OLS beta of each stock's weekly return on the weekly change of the 10-year yield (pp), trailing
    ``weeks`` weeks to row ``t``, and the weeks used (beta NaN below 52 weeks or with a flat yield)."""
    rows = np.arange(t, -1, -WEEK)[::-1][-(weeks + 1) :]
    px = np.ascontiguousarray(np.asarray(close, dtype=np.float64)[rows].T)  # stocks x weeks: each row's
    yl = y10[rows]  # sums run along a contiguous row, the same for one stock and for many
    with np.errstate(invalid="ignore", divide="ignore"):
        r, dy = px[:, 1:] / px[:, :-1] - 1, np.diff(yl)[None, :]
        ok = np.isfinite(r) & np.isfinite(dy)
        n = ok.sum(axis=1)
        mean_r = np.where(ok, r, 0.0).sum(axis=1) / n
        mean_dy = np.where(ok, dy, 0.0).sum(axis=1) / n
        ddy = np.where(ok, dy - mean_dy[:, None], 0.0)
        var_dy = (ddy * ddy).sum(axis=1) / (n - 1)
        cov = (np.where(ok, r - mean_r[:, None], 0.0) * ddy).sum(axis=1) / (n - 1)
        beta = np.where((n >= 52) & (var_dy > 0), cov / var_dy, np.nan)
    return beta, n.astype(np.int64)


def peer_vol(ctx: AgentContext) -> float | None:
    """Median 63-day realised vol of the R2000 members with a full window (the 'typical small cap')."""
    members = ctx.member_window(64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mret = np.diff(np.log(members), axis=0)
    full = np.isfinite(mret).all(axis=0)
    mvol = (
        mret[:, full].std(axis=0, ddof=1) * np.sqrt(252) if full.sum() > 1 and len(mret) > 1 else np.array([])
    )
    return float(np.median(mvol)) if len(mvol) else None


def _none(p: MonitorPanel, rows: IntArray) -> Float64Array:
    return np.full(len(rows), np.nan)


def _value(name: str) -> Column:
    """A stock measure handed in as a value (``price_measures``), not read off the monitor panel."""
    return Column(name, _none)


VS_SMA50, VS_SMA200, REL_3M, REL_VS_SMA50, VS_PEERS, CALM, DRAWDOWN, RATES_HELP, CREDIT = (
    _value("stock vs sma50"),
    _value("stock vs sma200"),
    _value("stock/benchmark 3m"),
    _value("stock/benchmark vs sma50"),
    _value("stock 3m minus peers"),
    _value("stock vol minus peers"),
    _value("stock drawdown"),
    _value("rate beta x 10y change"),
    macro_column(HY_OAS_CHG_13W),
)


def stock_specs(
    name: str, bench: str, sector: str | None, window: str = "", note: str = ""
) -> dict[str, tuple[ClaimSpec, ...]]:
    """The single-name claims by agent (``window``/``note``: the rate-beta evidence's labels)."""
    return {
        "internals": _internals_specs(name, bench, sector),
        "fundamentals": _price_risk_specs(name),
        "macro": _macro_specs(name, window, note),
    }


def _internals_specs(name: str, bench: str, sector: str | None) -> tuple[ClaimSpec, ...]:
    """The internals agent's claims on one name: its trend and relative strength (vs ``bench``, peers)."""
    src = f"{name} close, {bench} close"
    return (
        ClaimSpec(
            "internals",
            "trend",
            f"{name} is above its 50- and 200-day averages",
            1.0,
            (
                EvidenceSpec(
                    f"{name} vs its 50-day average",
                    VS_SMA50,
                    ">",
                    0.0,
                    f"{name} close",
                    "50d",
                    "fraction",
                ),
                EvidenceSpec(
                    f"{name} vs its 200-day average",
                    VS_SMA200,
                    ">",
                    0.0,
                    f"{name} close",
                    "200d",
                    "fraction",
                ),
            ),
        ),
        ClaimSpec(
            "internals",
            "rs_iwm",
            f"{name} is beating {bench} over 3 months",
            0.8,
            (EvidenceSpec(f"{name}/{bench} 3m relative return", REL_3M, ">=", 0.0, src, "63d", "fraction"),),
        ),
        ClaimSpec(
            "internals",
            "rs_trend",
            f"{name}/{bench} is above its 50-day average",
            0.5,
            (
                EvidenceSpec(
                    f"{name}/{bench} vs its 50-day average",
                    REL_VS_SMA50,
                    ">",
                    0.0,
                    src,
                    "50d",
                    "fraction",
                ),
            ),
        ),
        ClaimSpec(
            "internals",
            "rs_sector",
            f"{name} is beating its sector peers over 3 months",
            0.6,
            (
                EvidenceSpec(
                    f"{name} 3m return minus peer median",
                    VS_PEERS,
                    ">=",
                    0.0,
                    f"R2000 members in {sector}",
                    "63d",
                    "share_diff",
                ),
            ),
        ),
    )


def _price_risk_specs(name: str) -> tuple[ClaimSpec, ...]:
    """The fundamentals agent's price claims on one name (calm volatility, near its high); the company
    claims come from ``company_claims``."""
    return (
        ClaimSpec(
            "fundamentals",
            "calm",
            f"{name} is no more volatile than the typical small cap",
            0.6,
            (
                EvidenceSpec(
                    f"{name} 63-day realised vol minus R2000 median",
                    CALM,
                    "<=",
                    0.0,
                    f"{name} and R2000 member closes",
                    "63d",
                    "vol_diff",
                ),
            ),
        ),
        ClaimSpec(
            "fundamentals",
            "drawdown",
            f"{name} is within 25 % of its 52-week high",
            0.5,
            (
                EvidenceSpec(
                    f"{name} below its 52-week high",
                    DRAWDOWN,
                    ">=",
                    "agents.stock.min_drawdown_from_high",
                    f"{name} close",
                    "252d",
                    "fraction",
                ),
            ),
        ),
    )


def _macro_specs(name: str, window: str, note: str) -> tuple[ClaimSpec, ...]:
    """The macro agent's claims on one name: its rate sensitivity times the move in yields, and credit."""
    return (
        ClaimSpec(
            "macro",
            "rates",
            f"The recent move in yields helps {name}, given its rate sensitivity",
            0.6,
            (
                EvidenceSpec(
                    f"{name} rate beta x 13-week change in the 10-year",
                    RATES_HELP,
                    ">=",
                    0.0,
                    "FRED DGS10, weekly returns",
                    window,
                    "fraction",
                    note,
                ),
            ),
        ),
        ClaimSpec(
            "macro",
            "credit",
            "High-yield spreads are stable or tightening",
            0.5,
            (
                EvidenceSpec(
                    "HY OAS change over 13 weeks", CREDIT, "<=", 0.0, "FRED BAMLH0A0HYM2", "63d", "pp"
                ),
            ),
        ),
    )


def _opt(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def stock_opinions(s: StockContext) -> list[Opinion]:
    ctx, c = s.ctx, s.close
    name = s.symbol
    bench = s.benchmark
    ref = ctx.closes(bench, len(c))
    m = {
        k: _opt(v[0])
        for k, v in price_measures(c[:, None], ref if len(ref) == len(c) else np.full(len(c), np.nan)).items()
    }
    beta_, weeks = rate_betas(c[:, None], ctx.panel.macro["ust_10y"].values, ctx.row)
    beta, n = _opt(beta_[0]), int(weeks[0])
    d10 = UST_10Y_CHG_13W.of(ctx.result.snapshot)
    specs = stock_specs(
        name,
        bench,
        s.sector,
        f"{n} weeks",
        f"beta = {beta:+.3f} per pp" if beta is not None else "beta not estimable",
    )
    values: dict[str, float | None] = {
        VS_SMA50.name: m["vs_sma50"],
        VS_SMA200.name: m["vs_sma200"],
        REL_3M.name: m["rel_3m"],
        REL_VS_SMA50.name: m["rel_vs_sma50"],
        VS_PEERS.name: _diff(m["ret_3m"], peer_median_return(s, RET_DAYS)),
        CALM.name: _diff(m["vol_63d"], peer_vol(ctx)),
        DRAWDOWN.name: m["drawdown"],
        RATES_HELP.name: None if beta is None or d10 is None else beta * d10,
    }
    internals = opinion(
        "internals",
        f"{name}: trend and relative strength",
        ctx.as_of,
        [spec.make(ctx, values) for spec in specs["internals"]],
        [
            f"{name} is one basket of stocks (an ETF): news on its sector or style can swamp every signal "
            "here."
            if s.etf
            else f"{name} is one stock: idiosyncratic news can swamp every signal here."
        ],
    )
    company, company_note = company_claims(ctx, name, c)
    fundamentals = opinion(
        "fundamentals",
        f"{name}: company fundamentals and quality proxies (price behaviour)"
        if company
        else f"{name}: quality proxies (price behaviour)",
        ctx.as_of,
        [*company, *(spec.make(ctx, values) for spec in specs["fundamentals"])],
        []
        if company
        else [
            f"No company fundamentals known for {name} at {ctx.as_of}: quality is proxied by price behaviour."
        ],
        f"{company_note} Volatility and drawdown claims are price proxies.",
    )
    macro = opinion(
        "macro",
        f"{name}: rate sensitivity and credit backdrop",
        ctx.as_of,
        [spec.make(ctx, values) for spec in specs["macro"]],
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
    result: MonitorResult,
    config_hash: str,
    headlines: list[Headline] | None = None,
    *,
    benchmark: str = "IWM",
    high_low: tuple[Float64Array, Float64Array] | None = None,
    fundamentals: Fundamentals | None = None,
    calibration: Calibration | None = None,
    kind: AnalysisKind | None = None,
) -> Analysis:
    """Debate one stock (vs IWM, or vs SPY outside the index) or regime ETF (vs SPY) on the session
    ``result`` was resolved to (``monitor.at(as_of)``; at a request's door, ``monitor.on(session.as_of)``);
    ``close_full`` is its close on the monitor calendar, ``high_low`` its highs and lows there when stored
    (ETFs); ``calibration`` (the cross-section's call for a member, the base rates otherwise; computed here
    from the pair's own base rates when not given) sets the probabilities and the stance; ``kind``
    defaults to 'stock' against IWM and 'regime' against SPY."""
    ctx = AgentContext(result, monitor.panel, fundamentals, monitor.thresholds)
    close = close_full[: ctx.row + 1]
    if np.isfinite(close).sum() < 260:
        raise DataError(
            f"{symbol} has fewer than 260 closes up to {result.as_of}; too little history to debate."
        )
    if not np.isfinite(close[-1]):
        raise DataError(f"{symbol} has no close on {result.as_of}.")
    hl = None if high_low is None else (high_low[0][: ctx.row + 1], high_low[1][: ctx.row + 1])
    what: AnalysisKind = kind if kind is not None else "stock" if benchmark == "IWM" else "regime"
    s = StockContext(ctx, symbol, sector, close, benchmark, hl, etf=what == "regime")
    initial = [*stock_opinions(s), sentiment_analyze(ctx, headlines)]
    if calibration is None:
        calibration = base_rate_call(
            monitor.panel.calendar,
            close_full,
            monitor.panel.data.etf.column(benchmark),
            result.as_of,
            symbol,
            benchmark,
            monitor.thresholds.calibration,
        )

    def risk_for(conviction: float) -> tuple[RiskView | None, float | None, list[str]]:
        risk, inval = stock_risk(s, conviction)
        return risk, None, inval

    return assemble(
        what,
        symbol,
        symbol,
        result,
        initial,
        config_hash,
        risk_for,
        calibration,
        rival=f"{benchmark} re-takes the lead",
        debate_rules=monitor.thresholds.agents.debate,
    )
