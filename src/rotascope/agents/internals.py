"""Market-internals agent: relative strength, breadth, rotation, persistence, concentration, volatility."""

from __future__ import annotations

from rotascope.agents.base import AgentContext, agent_rules, claim, ev, opinion
from rotascope.measures import MOM, RMW, RV_IWM_21D, RV_SPY_21D, SMB, VIX_PCTILE_1Y, Measure
from rotascope.records import Claim, Evidence, Opinion

NAME = "internals"


def analyze(ctx: AgentContext) -> Opinion:
    """Is the small-cap move broad, persistent and orderly, or narrow and violent?"""
    snap = ctx.result.snapshot
    rules = agent_rules(ctx)
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
                    rules.internals.min_persistence_13w,
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
                    rules.internals.min_pct_above_50,
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
                    rules.internals.max_top10_concentration,
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
                    rules.internals.max_vix_percentile,
                    source="VIX",
                    window="252d",
                    unit="fraction",
                )
            ],
            0.3,
        ),
        *factor_lens_claims(ctx),
    ]
    risks = factor_lens_risks(ctx)
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


def _factor_note(ctx: AgentContext, m: Measure) -> str:
    seen = ctx.result.snapshot.factors_observed.get(m.name)
    return f"Fama-French data through {seen} (published monthly, with a lag)" if seen else "no factor data"


def _factor_ev(ctx: AgentContext, name: str, m: Measure, comparison: str, threshold: float) -> Evidence:
    return ev(
        ctx,
        name,
        m.of(ctx.result.snapshot),
        comparison,
        threshold,
        source=m.source,
        window=m.window,
        unit=m.unit,
        note=_factor_note(ctx, m),
    )


def factor_lens_claims(ctx: AgentContext) -> list[Claim]:
    """Is leadership quality-led or cheap-junk driven, and is it broad across value and growth?

    Profitability (RMW) falling hard while size (SMB) rises is the junk rally the article warns about;
    small-cap value (IWN) keeping up with small-cap growth (IWO) says the move is not a growth squeeze.
    """
    iwn_iwo = ctx.result.snapshot.pair("IWN/IWO")
    return [
        claim(
            NAME,
            "quality_led",
            "Small-cap leadership is not junk-led: the profitability factor is not falling",
            [
                _factor_ev(
                    ctx,
                    "Profitability factor (RMW) 3m return",
                    RMW["3m"],
                    ">=",
                    agent_rules(ctx).internals.min_rmw_3m,
                )
            ],
            0.4,
        ),
        claim(
            NAME,
            "value_breadth",
            "Small-cap value keeps up with small-cap growth (a broad rotation, not a growth squeeze)",
            [
                ev(
                    ctx,
                    "IWN/IWO 3m relative return",
                    iwn_iwo.returns.get("3m"),
                    ">=",
                    0.0,
                    source="IWN, IWO closes",
                    window="63d",
                    unit="fraction",
                )
            ],
            0.3,
        ),
    ]


def factor_lens_risks(ctx: AgentContext) -> list[str]:
    """Risks read off the factor lenses, each sentence generated from its numbers."""
    snap = ctx.result.snapshot
    smb, rmw, mom = SMB["1m"].of(snap), RMW["1m"].of(snap), MOM["1m"].of(snap)
    risks = []
    if smb is not None and rmw is not None and smb > 0 and rmw < -0.02:
        risks.append(
            f"Size up {smb:+.1%} while profitability fell {rmw:+.1%} over a month: a cheap-junk rally, "
            "which tends to fade."
        )
    if mom is not None and mom < -0.05:
        risks.append(f"Momentum factor {mom:+.1%} over a month: a momentum crash often marks a squeeze.")
    return risks
