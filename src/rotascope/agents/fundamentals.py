"""Fundamentals agent: health of the small-cap universe and quality-vs-junk leadership.

Company fundamentals (EDGAR) are not in the embedded data, so offline this agent reads price-based quality
proxies and says so: low-volatility ("quality") vs high-volatility ("junk") members' returns — a rally led
by the most volatile, most beaten-down names is the signature of a short squeeze, not of improving
businesses — member drawdowns, the Fama-French size factor, and cyclical vs defensive sectors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rotascope._typing import Float64Array
from rotascope.agents.base import AgentContext, claim, ev, opinion
from rotascope.measures import R2000_CYC_MINUS_DEF_3M, SMB
from rotascope.records import Opinion

NAME = "fundamentals"
PROXY_NOTE = (
    "Company fundamentals (SEC EDGAR) are not in the store: quality is proxied by price behaviour "
    "(trailing volatility and drawdown) — a stand-in, not balance-sheet data."
)


def quality_spread(window: Float64Array, ret_days: int = 63, vol_days: int = 126) -> tuple[float, float, int]:
    """Median ``ret_days`` return of the calmest minus the most volatile quintile of members.

    Volatility is measured over the ``vol_days`` BEFORE the return window, so the sort cannot be caused by
    the move it is judged on. Returns (spread, junk median return, members ranked).
    """
    need = ret_days + vol_days + 1
    if window.shape[0] < need:
        return float("nan"), float("nan"), 0
    w = window[-need:]
    with np.errstate(invalid="ignore", divide="ignore"):
        vol_all = np.diff(np.log(w[: vol_days + 1]), axis=0).std(axis=0)  # NaN where any return is missing
        ret_all = w[-1] / w[-ret_days - 1] - 1.0
    ok = np.isfinite(vol_all) & np.isfinite(ret_all)
    if ok.sum() < 50:
        return float("nan"), float("nan"), int(ok.sum())
    vol, r = vol_all[ok], ret_all[ok]
    lo, hi = np.quantile(vol, [0.2, 0.8])
    quality, junk = float(np.median(r[vol <= lo])), float(np.median(r[vol >= hi]))
    return quality - junk, junk, int(ok.sum())


def median_drawdown(window: Float64Array) -> float:
    """Median member distance below its trailing-window high (members with a full window)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        dd = window[-1] / window.max(axis=0) - 1.0  # the max is NaN for members missing any day
    dd = dd[np.isfinite(dd)]
    return float(np.median(dd)) if len(dd) else float("nan")


MIN_COMPANIES = 30
"""Fewer companies with stored fundamentals than this and the SEC-based claims are not made."""


def company_health(
    facts: pd.DataFrame | None, members: set[str]
) -> tuple[int, float, float, float, float] | None:
    """(companies, median interest cover, share with cover < 1, median OCF margin, median operating margin).

    Computed over the universe members whose latest annual filing has the needed facts; None when fewer
    than MIN_COMPANIES have them.
    """
    if facts is None or facts.empty:
        return None
    wide = facts[facts["symbol"].isin(members)].pivot_table(
        index="symbol", columns="metric", values="value", aggfunc="last"
    )
    need = {"operating_income", "interest_expense", "revenue", "operating_cash_flow"}
    if not need <= set(wide.columns):
        return None
    wide = wide.dropna(subset=sorted(need))
    wide = wide[(wide["interest_expense"] > 0) & (wide["revenue"] > 0)]
    if len(wide) < MIN_COMPANIES:
        return None
    cover = wide["operating_income"] / wide["interest_expense"]
    return (
        len(wide),
        float(cover.median()),
        float((cover < 1).mean()),
        float((wide["operating_cash_flow"] / wide["revenue"]).median()),
        float((wide["operating_income"] / wide["revenue"]).median()),
    )


def analyze(ctx: AgentContext) -> Opinion:
    """Is the small-cap move led by sturdier companies, or by the most fragile, most shorted ones?"""
    snap = ctx.result.snapshot
    members = ctx.member_window(252)
    spread, junk, ranked = quality_spread(members)
    dd = median_drawdown(members)
    src = "R2000 member closes"
    claims = [
        claim(
            NAME,
            "quality_led",
            "Calmer (higher-quality) small caps are keeping up with the most volatile ones",
            [
                ev(
                    ctx,
                    "Calmest minus most volatile quintile, median 63-day return",
                    spread,
                    ">=",
                    -0.02,
                    source=src,
                    window="63d (vol from the prior 126d)",
                    unit="fraction",
                    note=f"{ranked} members ranked; volatility as the quality proxy",
                )
            ],
            0.8,
        ),
        claim(
            NAME,
            "health",
            "The typical small cap is not deep in a drawdown",
            [
                ev(
                    ctx,
                    "Median member below its 52-week high",
                    dd,
                    ">=",
                    -0.20,
                    source=src,
                    window="252d",
                    unit="fraction",
                )
            ],
            0.5,
        ),
        claim(
            NAME,
            "size_factor",
            "The size factor (SMB) confirms over the quarter",
            [
                ev(
                    ctx,
                    "Fama-French SMB, 3 months",
                    SMB["3m"].of(snap),
                    ">=",
                    0.0,
                    source="Kenneth R. French data library",
                    window="63d",
                    unit="fraction",
                )
            ],
            0.4,
        ),
        claim(
            NAME,
            "cyclicals",
            "Cyclical small caps beat defensive ones (earnings-expectations proxy)",
            [
                ev(
                    ctx,
                    "Cyclical minus defensive sectors, median 63-day return",
                    R2000_CYC_MINUS_DEF_3M.of(snap),
                    ">=",
                    0.0,
                    source=src + " by GICS sector",
                    window="63d",
                    unit="fraction",
                )
            ],
            0.5,
        ),
    ]
    note = PROXY_NOTE
    health = company_health(ctx.fundamentals, set(ctx.panel.data.members.symbols))
    if health is not None:
        n, cover, zombies, ocf, margin_ = health
        src_sec = f"SEC EDGAR 10-K facts filed by {ctx.as_of} ({n} R2000 members)"
        claims += [
            claim(
                NAME,
                "interest_cover",
                "The typical small cap covers its interest comfortably",
                [
                    ev(
                        ctx,
                        "Median interest cover (operating income / interest expense)",
                        cover,
                        ">=",
                        3.0,
                        source=src_sec,
                        window="latest fiscal year",
                        unit="count",
                    )
                ],
                0.6,
            ),
            claim(
                NAME,
                "zombies",
                "Few small caps fail to earn their interest",
                [
                    ev(
                        ctx,
                        "Share with interest cover below 1",
                        zombies,
                        "<=",
                        0.25,
                        source=src_sec,
                        window="latest fiscal year",
                        unit="fraction",
                    )
                ],
                0.5,
            ),
            claim(
                NAME,
                "cash_flow",
                "The typical small cap generates operating cash",
                [
                    ev(
                        ctx,
                        "Median operating cash flow / revenue",
                        ocf,
                        ">=",
                        0.0,
                        source=src_sec,
                        window="latest fiscal year",
                        unit="fraction",
                    )
                ],
                0.4,
            ),
            claim(
                NAME,
                "margins",
                "The typical small cap is profitable at the operating line",
                [
                    ev(
                        ctx,
                        "Median operating margin",
                        margin_,
                        ">=",
                        0.0,
                        source=src_sec,
                        window="latest fiscal year",
                        unit="fraction",
                    )
                ],
                0.4,
            ),
        ]
        note = (
            f"Company fundamentals from SEC EDGAR for {n} members (point in time by filing date) "
            "plus price-based quality proxies."
        )
    risks = []
    if np.isfinite(spread) and spread < -0.05:
        risks.append(
            f"Junk-led: the most volatile quintile beat the calmest by {-spread:.0%} over 63 days "
            f"(median {junk:+.0%}): squeeze-like leadership tends not to last."
        )
    if health is None:
        risks.append(
            "Quality is proxied by price behaviour; leverage and interest cover are not measured offline."
        )
    return opinion(NAME, "earnings, margins, leverage; quality vs junk", ctx.as_of, claims, risks, note)
