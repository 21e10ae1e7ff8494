"""Macro agent: rates level and trend, curve, credit spreads, financial conditions, labour, inflation."""

from __future__ import annotations

from rotascope.agents.base import AgentContext, agent_rules, claim, ev, opinion
from rotascope.measures import (
    CLAIMS_YOY,
    CORE_CPI_YOY_CHG_3M,
    CURVE_10Y_2Y_CHG_13W,
    HY_OAS_CHG_13W,
    HY_OAS_PCTILE_5Y,
    HYG_IEF_VS_SMA50,
    NFCI,
    UST_10Y,
    UST_10Y_CHG_13W,
)
from rotascope.records import Opinion

NAME = "macro"


def analyze(ctx: AgentContext) -> Opinion:
    """Small caps are rate- and credit-sensitive borrowers: does the backdrop let them lead?"""
    snap = ctx.result.snapshot
    rules = agent_rules(ctx)
    claims = [
        claim(
            NAME,
            "rates_trend",
            "The 10-year yield has not risen over the quarter",
            [
                ev(
                    ctx,
                    "10-year yield change over 13 weeks",
                    UST_10Y_CHG_13W.of(snap),
                    "<=",
                    0.0,
                    source="FRED DGS10",
                    window="63d",
                    unit="pp",
                )
            ],
            0.8,
        ),
        claim(
            NAME,
            "curve",
            "The 2s10s curve is steepening",
            [
                ev(
                    ctx,
                    "2s10s change over 13 weeks",
                    CURVE_10Y_2Y_CHG_13W.of(snap),
                    ">=",
                    0.0,
                    source="FRED T10Y2Y",
                    window="63d",
                    unit="pp",
                )
            ],
            0.4,
        ),
        claim(
            NAME,
            "credit_level",
            "High-yield spreads are not stressed",
            [
                ev(
                    ctx,
                    "HY OAS percentile in trailing 5 years",
                    HY_OAS_PCTILE_5Y.of(snap),
                    "<=",
                    rules.macro.max_hy_oas_percentile,
                    source="FRED BAMLH0A0HYM2",
                    window="5y",
                    unit="fraction",
                )
            ],
            0.8,
        ),
        claim(
            NAME,
            "credit_trend",
            "High-yield spreads are stable or tightening",
            [
                ev(
                    ctx,
                    "HY OAS change over 13 weeks",
                    HY_OAS_CHG_13W.of(snap),
                    "<=",
                    0.0,
                    source="FRED BAMLH0A0HYM2",
                    window="63d",
                    unit="pp",
                )
            ],
            0.8,
        ),
        claim(
            NAME,
            "credit_market",
            "Credit is outperforming Treasuries (HYG/IEF above its 50-day average)",
            [
                ev(
                    ctx,
                    "HYG/IEF vs its 50-day average",
                    HYG_IEF_VS_SMA50.of(snap),
                    ">=",
                    0.0,
                    source="HYG, IEF closes",
                    window="50d",
                    unit="fraction",
                )
            ],
            0.4,
        ),
        claim(
            NAME,
            "conditions",
            "Financial conditions are looser than average (NFCI below 0)",
            [ev(ctx, "Chicago Fed NFCI", NFCI.of(snap), "<=", 0.0, source="FRED NFCI", unit="index")],
            0.5,
        ),
        claim(
            NAME,
            "labour",
            "Jobless claims are not climbing",
            [
                ev(
                    ctx,
                    "Initial claims 4-week average vs a year ago",
                    CLAIMS_YOY.of(snap),
                    "<=",
                    rules.macro.max_claims_yoy,
                    source="FRED ICSA",
                    window="52w",
                    unit="fraction",
                )
            ],
            0.5,
        ),
        claim(
            NAME,
            "inflation",
            "Core inflation is not re-accelerating",
            [
                ev(
                    ctx,
                    "Core CPI y/y change over 3 months",
                    CORE_CPI_YOY_CHG_3M.of(snap),
                    "<=",
                    rules.macro.max_core_cpi_chg_3m,
                    source="BLS CPI (as released)",
                    window="3 releases",
                    unit="pp",
                )
            ],
            0.4,
        ),
    ]
    risks = [f"{k.name} triggered: {k.trigger}." for k in ctx.result.regime.killers if k.triggered]
    y10 = UST_10Y.of(snap)
    if y10 is not None and y10 > 4.5:
        risks.append(f"10-year yield at {y10:.2f} %: refinancing costs weigh on small borrowers.")
    stale = [c for c in snap.caveats if c.startswith("Stale")]
    return opinion(
        NAME,
        "rates, curve, credit, financial conditions, labour, inflation",
        ctx.as_of,
        claims,
        risks + stale,
    )
