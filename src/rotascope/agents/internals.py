"""Market-internals agent: relative strength, breadth, rotation, persistence, concentration, volatility."""

from __future__ import annotations

from rotascope.agents.base import AgentContext, claim, ev, opinion
from rotascope.measures import RV_IWM_21D, RV_SPY_21D, VIX_PCTILE_1Y
from rotascope.records import Opinion

NAME = "internals"


def analyze(ctx: AgentContext) -> Opinion:
    """Is the small-cap move broad, persistent and orderly, or narrow and violent?"""
    snap = ctx.result.snapshot
    iwm, rsp = snap.pair("IWM/SPY"), snap.pair("RSP/SPY")
    r2000 = next(b for b in snap.breadth if b.universe == "R2000")
    rot = next(r for r in snap.rotation if r.symbol == "IWM")
    src = "IWM, SPY closes"
    claims = [
        claim(
            NAME,
            "rs_trend",
            "IWM is outperforming SPY over one and three months",
            [
                ev(
                    ctx,
                    "IWM/SPY 1m relative return",
                    iwm.returns.get("1m"),
                    ">=",
                    0.0,
                    source=src,
                    window="21d",
                    unit="fraction",
                ),
                ev(
                    ctx,
                    "IWM/SPY 3m relative return",
                    iwm.returns.get("3m"),
                    ">=",
                    0.0,
                    source=src,
                    window="63d",
                    unit="fraction",
                ),
            ],
            1.0,
        ),
        claim(
            NAME,
            "rs_persistence",
            "Small caps led in most of the last 13 weeks",
            [
                ev(
                    ctx,
                    "Share of the last 13 weeks IWM/SPY rose",
                    iwm.persistence_13w,
                    ">=",
                    0.5,
                    source=src,
                    window="13 weekly steps",
                    unit="fraction",
                )
            ],
            0.6,
        ),
        claim(
            NAME,
            "rs_long_trend",
            "The IWM/SPY ratio is above its 200-day average",
            [
                ev(
                    ctx,
                    "IWM/SPY vs its 200-day average",
                    iwm.dist_sma200,
                    ">",
                    0.0,
                    source=src,
                    window="200d",
                    unit="fraction",
                )
            ],
            0.6,
        ),
        claim(
            NAME,
            "breadth",
            "Most small caps are above their 50-day average",
            [
                ev(
                    ctx,
                    "R2000 members above 50-day average",
                    r2000.pct_above_50,
                    ">=",
                    0.5,
                    source="R2000 member closes",
                    window="50d",
                    unit="fraction",
                    note=r2000.caveat,
                )
            ],
            0.8,
        ),
        claim(
            NAME,
            "ad_line",
            "The small-cap A/D line and new highs confirm",
            [
                ev(
                    ctx,
                    "R2000 A/D line vs its 50-day average",
                    r2000.ad_line_vs_sma50,
                    ">=",
                    0.0,
                    source="R2000 member closes",
                    window="50d",
                    unit="count",
                ),
                ev(
                    ctx,
                    "R2000 net new 52-week highs",
                    float(r2000.net_new_highs),
                    ">=",
                    0.0,
                    source="R2000 member closes",
                    window="252d",
                    unit="count",
                ),
            ],
            0.6,
        ),
        claim(
            NAME,
            "equal_weight",
            "The average stock is beating the cap-weighted index (RSP/SPY)",
            [
                ev(
                    ctx,
                    "RSP/SPY 1m relative return",
                    rsp.returns.get("1m"),
                    ">=",
                    0.0,
                    source="RSP, SPY closes",
                    window="21d",
                    unit="fraction",
                )
            ],
            0.5,
        ),
        claim(
            NAME,
            "rotation",
            "IWM sits in the leading quadrant of the rotation graph",
            [
                ev(ctx, "IWM RS-Ratio", rot.rs_ratio, ">=", 100.0, source=src, unit="index"),
                ev(ctx, "IWM RS-Momentum", rot.rs_momentum, ">=", 100.0, source=src, unit="index"),
            ],
            0.5,
        ),
        claim(
            NAME,
            "concentration",
            "The index move is not carried by a handful of names",
            [
                ev(
                    ctx,
                    "Top-10 share of the R2000's 1m move",
                    r2000.top10_concentration_1m,
                    "<=",
                    0.25,
                    source="R2000 member closes, IWM weights (Nov 2025)",
                    window="21d",
                    unit="fraction",
                )
            ],
            0.3,
        ),
        claim(
            NAME,
            "volatility",
            "Volatility is not in the stressed tail",
            [
                ev(
                    ctx,
                    "VIX 1-year percentile",
                    VIX_PCTILE_1Y.of(snap),
                    "<=",
                    0.8,
                    source="VIX",
                    window="252d",
                    unit="fraction",
                )
            ],
            0.3,
        ),
    ]
    risks = []
    rv_iwm, rv_spy = RV_IWM_21D.of(snap), RV_SPY_21D.of(snap)
    if rv_iwm is not None and rv_spy and rv_iwm / rv_spy > 1.8:
        risks.append(
            f"IWM realised vol {rv_iwm:.0%} is {rv_iwm / rv_spy:.1f}x SPY's: violent moves reverse fast."
        )
    if (
        iwm.returns.get("1w") is not None
        and iwm.returns.get("3m") is not None
        and ((iwm.returns["1w"] or 0) > 0.03 and (iwm.returns["3m"] or 0) < 0)
    ):
        risks.append(
            "A sharp one-week burst inside a losing quarter: the signature of a squeeze, not a trend."
        )
    if r2000.pct_above_50 is not None and r2000.pct_above_50 < 0.4:
        risks.append(f"Only {r2000.pct_above_50:.0%} of small caps are above their 50-day average: narrow.")
    risks.append("Breadth uses today's index members (survivorship bias).")
    return opinion(
        NAME,
        "relative strength, breadth, rotation, persistence, concentration, volatility",
        ctx.as_of,
        claims,
        risks,
    )
