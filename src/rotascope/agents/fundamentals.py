"""Fundamentals agent: health of the small-cap universe and quality-vs-junk leadership.

Company data first (``rotascope.fundamentals``, point in time by ``known_at``): profitability (EBIT
margin, CFO/assets), balance sheet (debt/assets), accruals (earnings quality), the quality-minus-junk
spread among R2000 members ranked by the screen's quality score, the breadth and size of earnings beats,
net estimate revisions, and interest cover / zombies from SEC EDGAR facts where fetched. Where no company
data is stored for the as-of, price proxies stand in and every such claim says "price proxy".

A defensive pattern is not a bullish one: quality leadership counts as bullish only while the median
small cap is not falling; quality names falling less in a falling market (2008) is read as defensive.
The company-data claims are the table of ``agents.company`` (one stock's too), the lens claims
``agents.fundamental_lenses``; both are imported here for the agent and its callers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from rotascope._typing import Float64Array
from rotascope.agents.base import AgentContext, agent_rules, opinion, revision_floor
from rotascope.agents.columns import (
    CYC_MINUS_DEF_3M,
    MARKET_63D,
    MEDIAN_DRAWDOWN,
    QUALITY_RANKED,
    QUALITY_SPREAD_PROXY,
    ClaimSpec,
    Column,
    EvidenceSpec,
    factor,
    member_measures,
)
from rotascope.agents.company import NAME as NAME  # the agent's name, read from here by its callers
from rotascope.agents.company import SEC, SEC_VALUES, UNIVERSE, make_claims
from rotascope.agents.company import company_claims as company_claims  # agents.stock imports it here
from rotascope.agents.fundamental_lenses import lens_claims
from rotascope.fundamentals.breadth import BEAT_WINDOW_DAYS, MIN_REPORTS
from rotascope.fundamentals.files import KNOWN_LAG_DAYS
from rotascope.fundamentals.screen import ScreenInputs, score_frame
from rotascope.fundamentals.store import SIMFIN_KNOWN, Fundamentals, simfin_era
from rotascope.measures import SMB
from rotascope.records import Claim, Opinion

PROXY_NOTE = (
    "No company fundamentals are known at this date: quality is proxied by price behaviour "
    "(trailing volatility and drawdown) — a stand-in, not balance-sheet data."
)


def quality_spread(window: Float64Array) -> tuple[float, float, int]:
    """Median 63-day return of the calmest minus the most volatile quintile of members at the window's last
    row (volatility from the 126 days BEFORE the return window, so the sort cannot be caused by the move
    it is judged on). Returns (spread, junk median return, members ranked); ``columns.member_measures``."""
    m = member_measures(window, ("",) * window.shape[1], np.array([window.shape[0] - 1]))
    return float(m.quality_spread[0]), float(m.junk_return[0]), int(m.ranked[0])


def company_health(
    facts: pd.DataFrame | None, members: set[str], min_companies: int
) -> tuple[int, float, float, float, float] | None:
    """(companies, median interest cover, share with cover < 1, median OCF margin, median operating margin).

    Computed over the universe members whose latest annual filing has the needed facts; None when fewer
    than ``min_companies`` (``[agents.fundamentals]``) have them.
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
    if len(wide) < min_companies:
        return None
    cover = wide["operating_income"] / wide["interest_expense"]
    return (
        len(wide),
        float(cover.median()),
        float((cover < 1).mean()),
        float((wide["operating_cash_flow"] / wide["revenue"]).median()),
        float((wide["operating_income"] / wide["revenue"]).median()),
    )


@dataclass(frozen=True)
class UniverseFundamentals:
    """Company-data measures over the R2000 members, each None when too few members have it."""

    firms: int
    fiscal_years: tuple[int, ...]
    known_at: date | None
    ebit_margin: float | None
    cfo_assets: float | None
    debt_assets: float | None
    accruals: float | None
    qmj_spread: float | None
    qmj_ranked: int
    reporters: int
    beat_share: float | None
    median_surprise: float | None
    revised: int
    net_revisions: float | None
    revisions_from: date | None


def _median(values: pd.Series, enough: int) -> float | None:
    v = values.dropna()
    return float(v.median()) if len(v) >= enough else None


def beat_breadth(
    fund: Fundamentals, members: set[str], as_of: date
) -> tuple[int, float | None, float | None]:
    """(members' reports in the trailing quarter, share beating, median surprise); None if too few."""
    s = fund.surprises
    if s.empty:
        return 0, None, None
    recent = s[s["symbol"].isin(members) & (s["report_date"] > as_of - timedelta(days=BEAT_WINDOW_DAYS))]
    if len(recent) < MIN_REPORTS:  # every report of the window, as ladder level 4 counts them
        return len(recent), None, None
    return len(recent), float(recent["beat"].astype(float).mean()), float(recent["surprise"].median())


def net_revisions(fund: Fundamentals, members: set[str]) -> tuple[int, float | None, date | None]:
    """(members with a changed estimate window, (up - down) / members, first snapshot used)."""
    e = fund.estimates
    if e.empty:
        return 0, None, None
    e = e[e["symbol"].isin(members) & (e["first_known"] < e["known_at"])]
    e = e.sort_values("fiscal_end").groupby("symbol").head(1)  # the next report only
    if len(e) < MIN_REPORTS:
        return len(e), None, None
    direction = np.sign(e["estimate"].to_numpy() - e["first_estimate"].to_numpy())
    return len(e), float(direction.mean()), min(e["first_known"])


def measure(ctx: AgentContext, fund: Fundamentals | None) -> UniverseFundamentals | None:
    """The company-data measures at the context's as-of, or None when nothing is stored for it."""
    if fund is None or (fund.annual.empty and fund.surprises.empty and fund.estimates.empty):
        return None
    symbols = ctx.panel.data.members.symbols
    members = set(symbols)
    ann = fund.annual[fund.annual["symbol"].isin(members)]
    enough = agent_rules(ctx).fundamentals.min_firms
    window = ctx.member_window(253)
    frame = score_frame(ScreenInputs(ctx.as_of, symbols, {}, {}, window), fund, revision_floor(ctx))
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = pd.Series(window[-1] / window[-64] - 1.0, index=list(symbols)).reindex(frame.index)
    q = frame["quality"]
    ok = q.notna() & ret.notna()
    spread = None
    if ok.sum() >= enough:
        lo, hi = np.quantile(q[ok], [0.2, 0.8])
        spread = float(ret[ok & (q >= hi)].median() - ret[ok & (q <= lo)].median())
    reporters, beat, surprise = beat_breadth(fund, members, ctx.as_of)
    revised, net, since = net_revisions(fund, members)
    if ann.empty and spread is None and beat is None and net is None:
        return None
    return UniverseFundamentals(
        firms=len(ann),
        fiscal_years=tuple(sorted(int(y) for y in ann["fiscal_year"].unique())),
        known_at=max(ann["known_at"]) if len(ann) else None,
        ebit_margin=_median(ann["ebit_sales"], enough),
        cfo_assets=_median(ann["cfoa"], enough),
        debt_assets=_median(ann["debt_ta"], enough),
        accruals=_median(ann["accoa"], enough),
        qmj_spread=spread,
        qmj_ranked=int(ok.sum()),
        reporters=reporters,
        beat_share=beat,
        median_surprise=surprise,
        revised=revised,
        net_revisions=net,
        revisions_from=since,
    )


def quality_text(spread: float | None, market: float | None, label: str, market_falling: float) -> str:
    """The quality-vs-junk claim, worded from its two numbers (so the words cannot contradict them);
    ``market_falling``: ``[agents.fundamentals]``'s bar of a falling market."""
    if spread is None or market is None or not np.isfinite(spread) or not np.isfinite(market):
        return f"Quality vs junk among small caps ({label}): not measurable at this date"
    if spread > 0 and market < market_falling:
        return (
            f"Defensive pattern ({label}): higher-quality small caps fell less ({spread:+.1%} vs the "
            f"lowest quintile) while the median small cap fell {market:.1%} — not a bullish sign"
        )
    if spread < -0.02:
        return (
            f"Junk-led ({label}): the lowest-quality small caps beat the highest by {-spread:.1%} over "
            "63 days"
        )
    return (
        f"Higher-quality small caps keep up ({label}: {spread:+.1%} vs the lowest quintile) while the "
        f"median small cap moved {market:+.1%}"
    )


SPREAD_NAME = "Top minus bottom quality quintile, median 63-day return"
MARKET_NAME = "Median R2000 member 63-day return"
COMPANY_SPREAD = Column("quality spread (screen score)", lambda p, rows: np.full(len(rows), np.nan))
"""The screen-score spread is measured per as-of from company data (``measure``), handed in as a value."""


def quality_spec(proxy: bool, ranked: int = 0) -> ClaimSpec:
    """The quality-vs-junk claim: by the price proxy (calm vs volatile members) or the screen score."""
    label = "price proxy: calm vs volatile" if proxy else "screen quality score"
    return ClaimSpec(
        NAME,
        "quality_led",
        f"Higher-quality small caps ({label}) keep up while the median small cap is not falling",
        0.8,
        (
            EvidenceSpec(
                SPREAD_NAME,
                QUALITY_SPREAD_PROXY if proxy else COMPANY_SPREAD,
                ">=",
                -0.02,
                "R2000 member closes" if proxy else "R2000 member closes + company fundamentals",
                "63d" + (" (vol from the prior 126d)" if proxy else ""),
                "share_diff",
                f"{ranked} members ranked; "
                + (
                    "volatility as the quality proxy"
                    if proxy
                    else "quality = screen score, known at the as-of"
                ),
            ),
            EvidenceSpec(
                MARKET_NAME,
                MARKET_63D,
                ">=",
                "agents.fundamentals.market_falling",
                "R2000 member closes",
                "63d",
                "fraction",
                "quality leading in a falling market is defensive, not bullish",
            ),
        ),
    )


def _quality_claim(ctx: AgentContext, spread: float | None, ranked: int, proxy: bool) -> tuple[Claim, str]:
    """The quality-vs-junk claim and its description in words (:func:`quality_text`)."""
    spec = quality_spec(proxy, ranked)
    made = spec.make(ctx, {spec.evidence[0].read.name: spread})
    market = made.evidence[1].value
    return made, quality_text(
        spread,
        market,
        "price proxy: calm vs volatile" if proxy else "screen quality score",
        agent_rules(ctx).fundamentals.market_falling,
    )


def _company_claims(ctx: AgentContext, m: UniverseFundamentals) -> list[Claim]:
    """The universe's company claims (``company.UNIVERSE``) from the measures ``m``."""
    fy = "/".join(f"FY{y}" for y in m.fiscal_years[-2:])
    lag = SIMFIN_KNOWN if simfin_era(m.fiscal_years) else f"known {KNOWN_LAG_DAYS} days after FY end"
    words = {
        "as_of": str(ctx.as_of),
        "source": f"annual fundamentals {fy} of {m.firms} R2000 members ({lag})",
        "surprises": f"earnings surprises of {m.reporters} R2000 members reporting in the last "
        f"{BEAT_WINDOW_DAYS} days",
        "beat_days": str(BEAT_WINDOW_DAYS),
        "revisions_from": str(m.revisions_from),
    }
    values = {k: v for k, v in asdict(m).items() if v is None or isinstance(v, float)}
    return make_claims(ctx, UNIVERSE, values, words)


PRICE_CLAIMS: tuple[ClaimSpec, ...] = (
    ClaimSpec(
        NAME,
        "health",
        "The typical small cap is not deep in a drawdown",
        0.5,
        (
            EvidenceSpec(
                "Median member below its 52-week high",
                MEDIAN_DRAWDOWN,
                ">=",
                "agents.fundamentals.min_median_drawdown",
                "R2000 member closes",
                "252d",
                "fraction",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "size_factor",
        "The size factor (SMB) confirms over the quarter",
        0.4,
        (
            EvidenceSpec(
                "Fama-French SMB, 3 months",
                factor(SMB["3m"]),
                ">=",
                0.0,
                "Kenneth R. French data library",
                "63d",
                "fraction",
            ),
        ),
    ),
    ClaimSpec(
        NAME,
        "cyclicals",
        "Cyclical small caps beat defensive ones (price proxy for earnings expectations)",
        0.5,
        (
            EvidenceSpec(
                "Cyclical minus defensive sectors, median 63-day return",
                CYC_MINUS_DEF_3M,
                ">=",
                0.0,
                "R2000 member closes by GICS sector",
                "63d",
                "share_diff",
            ),
        ),
    ),
)
"""Price-proxy claims the agent always makes."""
PROXY_CLAIMS: tuple[ClaimSpec, ...] = (quality_spec(True), *PRICE_CLAIMS)
"""The agent's claims when no company data is handed in (the weekly replay), in the order it makes them."""


def _sec_claims(ctx: AgentContext, health: tuple[int, float, float, float, float]) -> list[Claim]:
    """The SEC EDGAR claims (``company.SEC``) from ``company_health``'s numbers."""
    n, *measured = health
    words = {
        "source": f"SEC EDGAR 10-K facts filed by {ctx.as_of} ({n} R2000 members)",
        "window": "latest fiscal year",
    }
    return make_claims(ctx, SEC, dict(zip(SEC_VALUES, measured, strict=True)), words)


def analyze(ctx: AgentContext) -> Opinion:
    """Is the small-cap move led by sturdier companies, or by the most fragile ones — or is it defensive?"""
    fund = ctx.fundamentals
    m = measure(ctx, fund)
    claims: list[Claim] = []
    notes: list[str] = []
    risks: list[str] = []
    proxy = m is None or m.qmj_spread is None
    if m is not None and m.qmj_spread is not None:
        spread: float | None = m.qmj_spread
        quality, described = _quality_claim(ctx, spread, m.qmj_ranked, proxy=False)
    else:
        ranked = QUALITY_RANKED.one(ctx)
        spread = QUALITY_SPREAD_PROXY.one(ctx)
        quality, described = _quality_claim(ctx, spread, int(ranked or 0), proxy=True)
    claims.append(quality)
    if described.startswith(("Defensive pattern", "Junk-led")):
        risks.append(described + ".")
    if m is not None:
        claims += _company_claims(ctx, m)
        if m.firms:
            notes.append(
                f"Annual fundamentals: {'/'.join(f'FY{y}' for y in m.fiscal_years)} for {m.firms} R2000 "
                f"members (latest known {m.known_at}; "
                + (
                    "fiscal periods from 2019 are " + SIMFIN_KNOWN
                    if simfin_era(m.fiscal_years)
                    else f"a fiscal year counts as known {KNOWN_LAG_DAYS} days after an assumed 31 Dec "
                    "year end"
                )
                + ")."
            )
        notes.append(
            f"Earnings surprises: {m.reporters} members reported in the last {BEAT_WINDOW_DAYS} days."
            if m.reporters
            else "Earnings surprises: none known in the trailing quarter."
        )
        if m.revised:
            notes.append(f"Estimate revisions: {m.revised} members, snapshots since {m.revisions_from}.")
    else:
        notes.append(PROXY_NOTE)
    if fund is not None:
        made, lens_notes = lens_claims(ctx, fund, spread, proxy=proxy)  # the spread the quality claim quotes
        claims += made
        notes += lens_notes
    claims += [spec.make(ctx) for spec in PRICE_CLAIMS]
    health = company_health(
        fund.sec if fund is not None else None,
        set(ctx.panel.data.members.symbols),
        agent_rules(ctx).fundamentals.min_companies,
    )
    if health is not None:
        claims += _sec_claims(ctx, health)
        notes.append(
            f"Company fundamentals from SEC EDGAR for {health[0]} members (point in time by filing date)."
        )
    notes.append("Drawdown, SMB and cyclicals-vs-defensives claims are price proxies.")
    if health is None:
        risks.append(
            "Interest cover and zombies are not measured: no SEC EDGAR facts are stored for this date."
        )
    return opinion(
        NAME, "earnings, margins, leverage; quality vs junk", ctx.as_of, claims, risks, " ".join(notes)
    )
