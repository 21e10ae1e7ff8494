"""The fundamentals agent's lens claims (issue #16): profitability dispersion, valuation vs financing,
and a junk-led rally into tightening financing.

Made only when company fundamentals are handed in (the weekly replay runs without them); the notes they
return describe the lenses' coverage in words built from the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rotascope.agents.base import AgentContext, claim, ev, thresholds_of
from rotascope.agents.columns import MARKET_63D
from rotascope.agents.company import NAME
from rotascope.fundamentals.lenses import (
    FinancingYield,
    ProfitabilityDispersion,
    ValuationPanel,
    profitability_dispersion,
    valuation_panel,
)
from rotascope.fundamentals.store import Fundamentals
from rotascope.measures import (
    BAA_YIELD,
    BAA_YIELD_PCTILE_5Y,
    HY_OAS_CHG_13W,
    HY_YIELD_PROXY,
    HY_YIELD_PROXY_PCTILE_5Y,
    UST_10Y,
)
from rotascope.records import Claim
from rotascope.regime.thresholds import LensRules


# ------------------------------------------------------------------- fundamental lenses (issue #16)
def lenses(ctx: AgentContext, fund: Fundamentals | None) -> tuple[ProfitabilityDispersion, ValuationPanel]:
    """Profitability dispersion and the valuation-vs-financing panel at the context's as-of."""
    t = ctx.row
    data = ctx.panel.data
    small = pd.Series(data.members.values[t], index=list(data.members.symbols), dtype=np.float64)
    large = (
        pd.Series(data.sp500.values[t], index=list(data.sp500.symbols), dtype=np.float64)
        if t < len(data.sp500.values)
        else (pd.Series(dtype=np.float64))
    )
    snap = ctx.result.snapshot
    financing = [
        FinancingYield(
            name=name,
            value=level.of(snap),
            percentile_5y=pct.of(snap) if pct is not None else None,
            construction=how,
        )
        for name, level, pct, how in (
            ("Baa yield", BAA_YIELD, BAA_YIELD_PCTILE_5Y, "Moody's Baa - 10y spread + 10y Treasury (exact)"),
            (
                "HY yield proxy",
                HY_YIELD_PROXY,
                HY_YIELD_PROXY_PCTILE_5Y,
                "ICE BofA HY OAS + 10y Treasury (proxy: the OAS is over matched-duration Treasuries)",
            ),
            ("10-year Treasury yield", UST_10Y, None, "FRED DGS10"),
        )
    ]
    return (
        profitability_dispersion(fund, small, ctx.as_of),
        valuation_panel(ctx.as_of, fund, small, large, financing),
    )


def _dispersion_note(disp: ProfitabilityDispersion) -> str:
    """The profitability dispersion's coverage and spread in words."""
    return (
        f"Profitability dispersion ({', '.join(f'FY{y}' for y in disp.fiscal_years) or 'no fiscal year'}): "
        + (
            f"{disp.covered} of {disp.members} priced R2000 members covered, median EBIT margin "
            f"{disp.median:.1%}, IQR {disp.iqr:.1%} (p25 {disp.p25:.1%}, p75 {disp.p75:.1%})."
            if disp.median is not None
            and disp.iqr is not None
            and disp.p25 is not None
            and disp.p75 is not None
            else disp.note + "."
        )
    )


def _valuation_note(val: ValuationPanel) -> str:
    """The small-cap earnings yield and the financing yields in words."""
    fin = "; ".join(
        f"{f.name} {f.value:.2f} %"
        + (f" (5y percentile {f.percentile_5y:.0%})" if f.percentile_5y is not None else "")
        if f.value is not None
        else f"{f.name}: not available"
        for f in val.financing
    )
    ep = val.small.median
    return (
        "Valuation vs financing: "
        + (
            f"small-cap median E/P {ep:.2f} % ({val.small.covered} members). "
            if ep is not None
            else val.note + " "
        )
        + f"Financing: {fin}."
    )


def _dispersion_claim(ctx: AgentContext, rules: LensRules, disp: ProfitabilityDispersion) -> Claim:
    """Profitable small caps are the majority (the share with a negative EBIT margin under the bar)."""
    return claim(
        NAME,
        "profitability_dispersion",
        f"Profitable small caps are the majority (share with EBIT margin < 0 at most "
        f"{rules.max_share_unprofitable:.0%})",
        [
            ev(
                ctx,
                "Share of R2000 members with EBIT margin < 0",
                disp.share_unprofitable,
                "<=",
                rules.max_share_unprofitable,
                source=f"annual fundamentals ({disp.source})",
                window=f"latest fiscal year known by {ctx.as_of}",
                unit="share",
                note=disp.note,
            )
        ],
        0.5,
    )


def _valuation_claim(ctx: AgentContext, val: ValuationPanel) -> Claim:
    """Small-cap earnings pay for their financing (median E/P at or above the Baa yield)."""
    spread = next(s for s in val.spreads if s.name == "small-cap median E/P minus Baa yield")
    return claim(
        NAME,
        "valuation",
        "Small-cap earnings pay for their financing (median E/P at or above the Baa yield)",
        [
            ev(
                ctx,
                "Small-cap median E/P minus Baa yield",
                spread.value,
                ">=",
                0.0,
                source="SEC EDGAR 10-K facts filed by the as-of, member closes, FRED BAA10Y + DGS10",
                window="latest fiscal year; yields at the as-of",
                unit="pp",
                note=spread.note,
            )
        ],
        0.5,
    )


def _junk_claim(ctx: AgentContext, rules: LensRules, qmj: float | None, proxy: bool) -> Claim:
    """The small-cap rally is led by junk while financing tightens (bearish when it holds)."""
    return claim(
        NAME,
        "junk_financing",
        "The small-cap rally is led by junk while financing tightens",
        [
            ev(
                ctx,
                "Top minus bottom quality quintile, median 63-day return",
                qmj,
                "<",
                rules.junk_led_qmj,
                source="R2000 member closes (price proxy: calm vs volatile)"
                if proxy
                else "R2000 member closes + company fundamentals (screen quality score)",
                window="63d",
                unit="share_diff",
                note="" if qmj is not None else "not available: too few members ranked by quality",
            ),
            ev(
                ctx,
                "Median R2000 member 63-day return",
                MARKET_63D.one(ctx),
                ">",
                0.0,
                source="R2000 member closes",
                window="63d",
                unit="fraction",
            ),
            ev(
                ctx,
                "HY OAS change over 13 weeks",
                HY_OAS_CHG_13W.of(ctx.result.snapshot),
                ">",
                rules.tightening_hy_oas_13w,
                source="FRED BAMLH0A0HYM2",
                window="63d",
                unit="pp",
            ),
        ],
        0.7,
        bullish_if_passed=False,
    )


def lens_claims(
    ctx: AgentContext, fund: Fundamentals, qmj: float | None, *, proxy: bool = False
) -> tuple[list[Claim], list[str]]:
    """Claims on profitability dispersion, valuation vs financing and a junk-led move into tightening
    financing (made only when company fundamentals were handed in: the replay runs without them).
    ``qmj`` is the quality spread the quality claim quotes, by the price proxy when ``proxy``."""
    rules = thresholds_of(ctx).lenses
    disp, val = lenses(ctx, fund)
    claims = [_dispersion_claim(ctx, rules, disp), _valuation_claim(ctx, val)]
    if qmj is None or qmj < rules.junk_led_qmj:
        claims.append(_junk_claim(ctx, rules, qmj, proxy))
    return claims, [_dispersion_note(disp), _valuation_note(val)]
