"""The fundamentals agent's company-data claims, as one declarative table for each of its uses.

A :class:`CompanySpec` names a claim's key, thesis, weight and evidence lines (measure, comparison, bar,
unit, source, window); one builder (:func:`make_claims`) turns a table of them into claims from a mapping
of measured values. ``UNIVERSE`` is the small-cap universe's claims (medians over R2000 members), ``SEC``
its claims from SEC EDGAR facts, and ``STOCK`` one stock's (against the R2000 cross-section); the
vectorised member debate (``agents.members.COMPANY``) judges the same ``STOCK`` rows (``MEMBER_ROWS``).
Bars come from ``thresholds.toml`` (a getter on the thresholds), are fixed by the claim's meaning (zero,
half), or are the median of the other members (``"median"``); the thesis quotes the bar it tests, so its
words cannot disagree with its number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rotascope._typing import Float64Array
from rotascope.agents.base import AgentContext, claim, ev, revision_floor, thresholds_of
from rotascope.fundamentals.files import KNOWN_LAG_DAYS
from rotascope.fundamentals.screen import ScreenInputs, score_frame
from rotascope.fundamentals.store import simfin_era
from rotascope.records import Claim
from rotascope.regime.thresholds import Thresholds

NAME = "fundamentals"
"""The agent whose claims these are."""
Bar = float | Literal["median"] | Callable[[Thresholds], float]
"""A bar: a number fixed by the claim's meaning (0: a sign; 0.5: half), the median of the other R2000
members (rounded to 6 decimals), or a getter on the thresholds file."""


@dataclass(frozen=True)
class Measure:
    """One evidence line: ``name``, ``source``, ``window`` and ``note`` are templates over the words."""

    name: str
    value: str
    comparison: Literal[">=", "<="]
    bar: Bar
    unit: str
    source: str = "{source}"
    window: str = "{window}"
    note: str = ""


@dataclass(frozen=True)
class CompanySpec:
    """One company claim: made when every value of ``needs`` (default: the first measure's) is known."""

    key: str
    thesis: str
    weight: float
    evidence: tuple[Measure, ...]
    needs: tuple[str, ...] = ()

    def required(self) -> tuple[str, ...]:
        """The values that must be known for the claim to be made."""
        return self.needs or (self.evidence[0].value,)


def _bar(ctx: AgentContext, m: Measure, medians: Mapping[str, float]) -> float:
    if m.bar == "median":
        return round(medians[m.value], 6)
    return m.bar(thresholds_of(ctx)) if callable(m.bar) else m.bar


def make_claims(
    ctx: AgentContext,
    specs: tuple[CompanySpec, ...],
    values: Mapping[str, float | None],
    words: Mapping[str, str],
    medians: Mapping[str, float] | None = None,
) -> list[Claim]:
    """The claims of ``specs`` whose needed values are known; ``words`` fill the templates and the
    thesis's ``{bar}`` is its first line's bar."""
    out: list[Claim] = []
    for spec in specs:
        if any(values[k] is None for k in spec.required()):
            continue
        bars = [_bar(ctx, m, medians or {}) for m in spec.evidence]
        lines = [
            ev(
                ctx,
                m.name.format(**words),
                values[m.value],
                m.comparison,
                bar,
                source=m.source.format(**words),
                window=m.window.format(**words),
                unit=m.unit,
                note=m.note.format(**words),
            )
            for m, bar in zip(spec.evidence, bars, strict=True)
        ]
        out.append(claim(NAME, spec.key, spec.thesis.format(bar=bars[0], **words), lines, spec.weight))
    return out


def _fy(key: str, name: str, comparison: Literal[">=", "<="], bar: Bar, unit: str) -> Measure:
    return Measure(name, key, comparison, bar, unit, window="latest fiscal year known by {as_of}")


UNIVERSE: tuple[CompanySpec, ...] = (
    CompanySpec(
        "profitability",
        "The typical small cap is profitable (median EBIT margin and CFO/assets above zero)",
        0.5,
        (
            _fy("ebit_margin", "Median EBIT margin", ">=", 0.0, "fraction"),
            _fy("cfo_assets", "Median CFO / assets", ">=", 0.0, "fraction"),
        ),
    ),
    CompanySpec(
        "balance_sheet",
        "Small-cap balance sheets are not stretched (median debt/assets <= {bar:.0%})",
        0.4,
        (
            _fy(
                "debt_assets",
                "Median debt / assets",
                "<=",
                lambda t: t.agents.fundamentals.max_debt_assets,
                "fraction",
            ),
        ),
    ),
    CompanySpec(
        "accruals",
        "Small-cap earnings are backed by cash (median accruals/assets at or below zero)",
        0.3,
        (_fy("accruals", "Median accruals / assets", "<=", 0.0, "fraction"),),
    ),
    CompanySpec(
        "beats",
        "Earnings beats are broad (>= {bar:.0%} of reporting small caps beat consensus)",
        0.6,
        (
            Measure(
                "Share of reporting members beating consensus EPS",
                "beat_share",
                ">=",
                lambda t: t.ladder.earnings.min_beat_share,  # ladder level 4's bar
                "share",
                source="{surprises}",
                window="{beat_days}d",
            ),
        ),
    ),
    CompanySpec(
        "beat_size",
        "The median small-cap earnings surprise is positive",
        0.4,
        (
            Measure(
                "Median EPS surprise (actual - estimate) / |estimate|",
                "median_surprise",
                ">=",
                0.0,
                "fraction",
                source="{surprises}",
                window="{beat_days}d",
            ),
        ),
        needs=("beat_share",),
    ),
    CompanySpec(
        "revisions",
        "Small-cap EPS estimates are being raised more often than cut",
        0.6,
        (
            Measure(
                "Net EPS estimate revisions (up - down) / revised",
                "net_revisions",
                ">=",
                0.0,
                "share_diff",
                source="consensus EPS snapshots since {revisions_from}",
                window="28d",
            ),
        ),
    ),
)
"""The small-cap universe's company claims (medians over R2000 members), in the order they are made."""


SEC_VALUES = ("interest_cover", "zombies", "cash_flow", "margins")
"""The values of ``fundamentals.company_health`` after its company count, in its order."""
SEC: tuple[CompanySpec, ...] = (
    CompanySpec(
        "interest_cover",
        "The typical small cap covers its interest comfortably",
        0.6,
        (
            Measure(
                "Median interest cover (operating income / interest expense)",
                "interest_cover",
                ">=",
                lambda t: t.agents.fundamentals.min_interest_cover,
                "index",
            ),
        ),
    ),
    CompanySpec(
        "zombies",
        "Few small caps fail to earn their interest",
        0.5,
        (Measure("Share with interest cover below 1", "zombies", "<=", 0.25, "share"),),
    ),
    CompanySpec(
        "cash_flow",
        "The typical small cap generates operating cash",
        0.4,
        (Measure("Median operating cash flow / revenue", "cash_flow", ">=", 0.0, "fraction"),),
    ),
    CompanySpec(
        "margins",
        "The typical small cap is profitable at the operating line",
        0.4,
        (Measure("Median operating margin", "margins", ">=", 0.0, "fraction"),),
    ),
)
"""The universe's claims from SEC EDGAR facts (``fundamentals.company_health``), in the order made."""


def _fiscal(key: str, name: str, comparison: Literal[">=", "<="], bar: Bar, note: str = "") -> Measure:
    return Measure(name, key, comparison, bar, "fraction", source="{annual}", window="FY{fy}", note=note)


STOCK: tuple[CompanySpec, ...] = (
    CompanySpec(
        "quality_rank",
        "{symbol}'s quality score is above the R2000 median (robust z-score >= 0)",
        0.6,
        (
            Measure(
                "{symbol} screen quality score",
                "quality",
                ">=",
                0.0,
                "index",
                source="rotascope screen: profitability, balance sheet, accruals, surprises, revisions",
                window="known by {as_of}",
            ),
        ),
    ),
    CompanySpec(
        "profitability",
        "{symbol}'s FY{fy} EBIT margin is at or above the R2000 median",
        0.5,
        (
            _fiscal(
                "ebit_margin",
                "{symbol} FY{fy} EBIT margin",
                ">=",
                "median",
                "threshold = median of the other R2000 members with FY data at {as_of}",
            ),
        ),
    ),
    CompanySpec(
        "balance_sheet",
        "{symbol}'s FY{fy} debt/assets is at or below the R2000 median",
        0.4,
        (_fiscal("debt_assets", "{symbol} FY{fy} debt / assets", "<=", "median"),),
        needs=("ebit_margin", "debt_assets"),
    ),
    CompanySpec(
        "accruals",
        "{symbol}'s FY{fy} earnings are backed by cash (accruals/assets at or below zero)",
        0.3,
        (_fiscal("accruals_assets", "{symbol} accruals / assets", "<=", 0.0),),
        needs=("ebit_margin", "accruals_assets"),
    ),
    CompanySpec(
        "beats",
        "{symbol} beat consensus in at least half of its recent reports (last {last_report})",
        0.5,
        (
            Measure(
                "{symbol} share of recent reports beating consensus EPS",
                "beat_rate",
                ">=",
                0.5,
                "share",
                source="earnings surprises known on their report date",
                window="last 4 reports within 365d",
            ),
        ),
    ),
    CompanySpec(
        "revisions",
        "{symbol}'s consensus EPS estimate is not being cut",
        0.5,
        (
            Measure(
                "{symbol} EPS estimate revision",
                "estimate_revision",
                ">=",
                0.0,
                "fraction",
                source="consensus EPS snapshots to {estimates_known_at}",
                window="28d",
            ),
        ),
    ),
)
"""One stock's company claims against the R2000 cross-section (screen columns), in the order made; the
member debate judges the same rows for every member at once."""


def _bar_word(bar: Bar) -> str:
    return "median" if bar == "median" else "half" if bar == 0.5 else "zero"


MEMBER_ROWS: tuple[tuple[str, str, str, str, float, str], ...] = tuple(
    (
        s.key,
        s.evidence[0].value,
        s.evidence[0].comparison,
        _bar_word(s.evidence[0].bar),
        s.weight,
        s.evidence[0].unit,
    )
    for s in STOCK
)
"""``STOCK`` in the row form of the member debate (key, screen column, comparison, bar word, weight,
unit): what ``agents.members.COMPANY`` judges for every member at once."""


def _finite(v: object) -> float | None:
    return float(v) if isinstance(v, int | float | np.number) and np.isfinite(float(v)) else None


def company_claims(ctx: AgentContext, symbol: str, close: Float64Array) -> tuple[list[Claim], str]:
    """One stock's company-data claims against the R2000 cross-section at the as-of, and a data note.

    ``close`` is the stock's closes up to the as-of row (it joins the cross-section when it is not an R2000
    member). Empty (with a note saying so) when nothing is stored for the name at that date.
    """
    fund = ctx.fundamentals
    if fund is None or fund.empty:
        return [], f"No company fundamentals are stored for {symbol} at {ctx.as_of}."
    symbols, window = ctx.panel.data.members.symbols, ctx.member_window(253)
    if symbol not in symbols and len(close) >= len(window):
        symbols, window = (*symbols, symbol), np.column_stack([window, close[-len(window) :]])
    frame = score_frame(ScreenInputs(ctx.as_of, symbols, {}, {}, window), fund, revision_floor(ctx))
    if symbol not in frame.index or not np.isfinite(frame.loc[[symbol], "quality"].to_numpy(np.float64)[0]):
        return [], f"No company fundamentals known for {symbol} at {ctx.as_of}: price proxies only."
    row: dict[str, object] = {str(k): frame.at[symbol, k] for k in frame.columns}
    values = {k: _finite(v) for k, v in row.items()}
    medians = {str(k): float(v) for k, v in frame.drop(index=symbol).median(numeric_only=True).items()}
    words = {
        "symbol": symbol,
        "as_of": str(ctx.as_of),
        "last_report": str(row["last_report"]),
        "estimates_known_at": str(row["estimates_known_at"]),
    }
    note = f"{symbol} company data known at {ctx.as_of}."
    if values["ebit_margin"] is not None:
        fy, known = f"{values['fiscal_year']:.0f}", row["fiscal_year_known_at"]
        lag = (
            "its SimFin publish date"
            if simfin_era([float(fy)])
            else f"{KNOWN_LAG_DAYS} days after an assumed 31 Dec year end"
        )
        words |= {"fy": fy, "annual": f"annual fundamentals FY{fy}, known {known} ({lag})"}
        note = f"{symbol} FY{fy} fundamentals known {known}."
    return make_claims(ctx, STOCK, values, words, medians), note
