"""Run a whole backtest and render it: typed records (JSON), PNG charts and a self-contained HTML page.

``run_backtest`` chains the stages: weekly as-of dates → replay of monitor + regime (+ injected extra
signals) → forward LABELS → attribution → strategies vs buy-and-hold benchmarks. Every output (the JSON
record, each chart, the HTML page, the terminal tables) carries the survivorship caveat on breadth.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rotascope.atomicfile import atomic_write
from rotascope.backtest.attribution import Attribution, attribute
from rotascope.backtest.calendar import window_end
from rotascope.backtest.forward import forward_relative_return_label
from rotascope.backtest.membership import MembershipComparison, compare_membership
from rotascope.backtest.replay import Extra, Replay, replay_dates
from rotascope.backtest.replay_cache import cached_replay
from rotascope.backtest.result import DISCLAIMER as DISCLAIMER
from rotascope.backtest.result import BacktestParams as BacktestParams
from rotascope.backtest.result import BacktestResult as BacktestResult
from rotascope.backtest.strategies import RF_NOTE, SimResult, StrategyStats, run_strategies
from rotascope.csvmeta import sidecar, sidecar_name
from rotascope.errors import DataError
from rotascope.fundamentals.valuation import SPREAD_SIGNAL, SPREAD_SIGNAL_NOTE, spread_signal
from rotascope.monitor.engine import SURVIVORSHIP
from rotascope.monitor.run import Monitor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CAVEATS: tuple[str, ...] = (
    SURVIVORSHIP + " Breadth-based signals and the breadth-trigger strategy are affected.",
    "Forward returns are labels (they use later prices) and are never inputs to a signal.",
    "Positions are decided at weekly closes and filled at the next trading day's close; costs are per "
    "unit of turnover on each leg; no borrow fee on the short leg. " + RF_NOTE,
    "Everything covers the window only: positions still open on its last day are closed at that close "
    "(with their cost), and forward outcomes ending after it are excluded (counted in past_end).",
)


@dataclass(frozen=True)
class BacktestRun:
    """A run with its intermediate frames (the record is what is stored; the rest feeds the charts)."""

    result: BacktestResult
    replay: Replay
    labels: pd.DataFrame
    sims: list[SimResult]


def run_backtest(
    monitor: Monitor,
    params: BacktestParams,
    extra: Extra | None = None,
    tilt: pd.Series | str | None = None,
    valuation: pd.DataFrame | None = None,
) -> BacktestRun:
    """Replay, label, attribute and trade over the weekly as-of dates between params.start and .end.

    ``tilt``: the decision-agent weight per as-of (a Series on the as-of dates) or the name of a replayed
    signal column holding it (e.g. one returned by ``extra``); None leaves strategy 3 out.
    ``valuation``: the stored small/big BE/ME spread months (``valuation.spread_history``); when given,
    the spread's percentile known at each as-of is one more signal (``valuation_spread``), appended after
    the replayed ones and left out of the membership re-run (it reads no members).
    """
    days = replay_dates(monitor, params.start, params.end)
    if len(days) < 2:
        raise DataError(
            f"Fewer than two weekly as-of dates between {params.start or 'the start'} and "
            f"{params.end or 'the end'}; widen the range."
        )
    rep = cached_replay(monitor, days, extra)
    replayed = rep
    spread: pd.DataFrame | None = None
    if valuation is not None and not valuation.empty:
        spread = spread_signal(valuation, days)
        rep = dataclasses.replace(
            rep,
            signals=rep.signals.assign(**{SPREAD_SIGNAL: spread[SPREAD_SIGNAL].to_numpy()}),
            kinds={**rep.kinds, SPREAD_SIGNAL: "score"},
        )
    panel = monitor.panel
    last_day = window_end(panel.calendar, params.end)
    etf = panel.data.etf
    # the h-th weekly as-of after t is taken among ``days`` (all <= end): an outcome whose horizon runs
    # past the window is NaN, excluded from every statistic and counted in ``past_end``
    labels = forward_relative_return_label(
        panel.calendar, etf.column("IWM"), etf.column("SPY"), days, params.horizons
    )
    attr = attribute(
        rep.signals,
        labels,
        params.horizons,
        rep.kinds,
        params.draws,
        params.confidence,
        params.seed,
        rep.point_in_time(),
        past_end=[min(h, len(days)) for h in params.horizons],
    )
    weights: pd.Series | None
    if isinstance(tilt, str):
        if tilt not in rep.signals.columns:
            raise DataError(f"No replayed signal named {tilt!r} to use as the decision tilt.")
        weights = rep.signals[tilt]
    else:
        weights = tilt
        if tilt is not None and params.tilt is None:
            params = params.model_copy(update={"tilt": "injected weight series"})
    sims = run_strategies(panel, days, params.cost_bps, weights, params.stop, params.lag, last_day)
    stats = [s.stats() for s in sims]
    if rep.extra_columns and not params.extra:
        params = params.model_copy(update={"extra": list(rep.extra_columns)})
    result = BacktestResult(
        params=params,
        data_fingerprint=rep.data_fingerprint,
        source=rep.source,
        start=days[0].astype(date),
        end=days[-1].astype(date),
        last_day=last_day.astype(date),
        weeks=len(days),
        attribution=attr,
        strategies=[s for s in stats if not s.name.startswith("hold_")],
        benchmarks=[s for s in stats if s.name.startswith("hold_")],
        caveats=list(CAVEATS) + ([spread_caveat(spread, attr)] if spread is not None else []),
        membership=compare_membership(
            monitor, replayed, params.cost_bps, params.stop, params.lag, end=last_day
        ),
    )
    return BacktestRun(result, rep, labels, sims)


def spread_caveat(spread: pd.DataFrame, attr: Attribution) -> str:
    """How much the valuation spread's record rests on, in words from its numbers: monthly readings
    repeated over weeks, overlapping outcomes, and a bootstrap block shorter than the spread's swings."""
    used = spread["month"][spread[SPREAD_SIGNAL].notna()]
    stale = int((spread["month"].notna() & spread[SPREAD_SIGNAL].isna()).sum())
    ended = (
        f" The data ends {pd.Timestamp(spread['month'].max()):%Y-%m}: the {stale:,} later weeks are left "
        "unknown."
        if stale
        else ""
    )
    if used.empty:
        return f"{SPREAD_SIGNAL}: no month of the spread was known and current inside the window.{ended}"
    stats = [s for s in attr.stats if s.signal == SPREAD_SIGNAL]
    counts = " / ".join(f"{s.weeks // s.horizon_weeks:,}" for s in stats)
    hs = " / ".join(str(s.horizon_weeks) for s in stats)
    return (
        f"{SPREAD_SIGNAL_NOTE}. It is monthly data (a month known at the end of the next): its "
        f"{len(used):,} weekly readings in the window are {used.nunique():,} distinct months "
        f"({pd.Timestamp(used.iloc[0]):%Y-%m} to {pd.Timestamp(used.iloc[-1]):%Y-%m}), and its outcomes "
        f"overlap: about {counts} non-overlapping outcomes at {hs} weeks. The bootstrap resamples blocks of "
        "h weeks, far shorter than the spread's own swings (years), so its interval is too narrow: read "
        f"the record as suggestive at best.{ended}"
    )


# ---------------------------------------------------------------------------------------------- charts
def _figure(figsize: tuple[float, float]) -> Figure:
    """A new matplotlib figure."""
    # deferred: matplotlib (~0.5 s of imports) loads only when a PNG is written (--out), not for every run
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def _png(fig: Figure) -> bytes:
    # deferred: as in _figure, matplotlib loads only when a PNG is written
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()


def _footnote(fig: Figure) -> None:
    fig.text(0.01, 0.005, "Survivorship: breadth uses today's members; past breadth is biased.", fontsize=7)


def equity_png(sims: Sequence[SimResult]) -> bytes:
    """Equity curves of the strategies (solid) and the buy-and-hold benchmarks (dashed), log scale."""
    fig = _figure((10, 5.2))
    ax = fig.add_subplot()
    for sim in sims:
        style = "--" if sim.name.startswith("hold_") else "-"
        ax.plot(sim.equity.index, sim.equity.to_numpy(), style, linewidth=1.1, label=sim.name)
    ax.set_yscale("log")
    ax.set_ylabel("equity (start = 1, log scale)")
    ax.set_title("IWM/SPY strategies vs buy-and-hold (weekly decisions, next-day fills, costs included)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    _footnote(fig)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _png(fig)


def hitrate_png(attribution: Attribution) -> bytes:
    """Hit rate when fired vs the base hit rate, per signal, one panel per horizon."""
    horizons = attribution.horizons
    n_signals = len({s.signal for s in attribution.stats})
    fig = _figure((4.2 * len(horizons), 0.32 * n_signals + 1.8))
    order = attribution.ranked()
    for i, h in enumerate(horizons):
        ax = fig.add_subplot(1, len(horizons), i + 1)
        rows = {s.signal: s for s in attribution.stats if s.horizon_weeks == h}
        names = [n for n in order if n in rows]
        hit = np.array([np.nan if rows[n].hit_rate is None else rows[n].hit_rate for n in names], dtype=float)
        base = np.array(
            [np.nan if rows[n].base_hit_rate is None else rows[n].base_hit_rate for n in names], dtype=float
        )
        y = np.arange(len(names))
        ax.barh(y, hit, color="#3b7dd8", label="hit rate when fired")
        ax.scatter(base, y, color="black", marker="|", s=120, label="base hit rate", zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels(
            [f"{n}{' *' if rows[n].survivorship else ''}" for n in names] if i == 0 else [], fontsize=7
        )
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(f"{h}-week forward IWM-SPY", fontsize=9)
        ax.grid(True, axis="x", alpha=0.3)
        if i == 0:
            ax.legend(loc="lower right", fontsize=7)
    fig.text(0.01, 0.03, "* reads index-member closes: survivorship bias.", fontsize=7)
    _footnote(fig)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _png(fig)


# ------------------------------------------------------------------------------------------------ html
def _fmt(v: float | None, pct: bool = True) -> str:
    if v is None:
        return "n/a"
    return f"{v:+.2%}" if pct else f"{v:.2f}"


def _hit(v: float | None, decimals: int = 0) -> str:
    """Unsigned percentage (hit rates, volatility, exposure)."""
    return "n/a" if v is None else f"{v:.{decimals}%}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def strategy_rows(stats: Sequence[StrategyStats]) -> list[list[str]]:
    """Rows of the strategies table (shared by HTML and terminal)."""
    return [
        [
            s.name,
            _fmt(s.cagr),
            _hit(s.vol, 1),
            _fmt(s.sharpe, pct=False),
            _fmt(s.max_drawdown),
            _fmt(s.turnover_per_year, pct=False),
            _hit(s.total_costs, 1),
            str(s.trades),
            _hit(s.exposure),
        ]
        for s in stats
    ]


STRATEGY_HEAD = (
    "strategy",
    "CAGR",
    "vol",
    "Sharpe (rf 0)",
    "max DD",
    "turnover/yr",
    "costs",
    "trades",
    "exposure",
)
SIGNAL_HEAD = ("signal", "h (w)", "weeks", "fired", "mean fired", "base", "90% CI", "hit", "base hit", "IC")


def signal_rows(attribution: Attribution) -> list[list[str]]:
    """Rows of the attribution table, signals sorted by information (mean |IC|); the name is shown on
    the first horizon's row only."""
    by_key = {(s.signal, s.horizon_weeks): s for s in attribution.stats}
    rows: list[list[str]] = []
    for name in attribution.ranked():
        for i, h in enumerate(attribution.horizons):
            s = by_key[(name, h)]
            rows.append(
                [
                    (name + (" *" if s.survivorship else "")) if i == 0 else "",
                    str(h),
                    str(s.weeks),
                    str(s.fired),
                    _fmt(s.mean_fired),
                    _fmt(s.base_mean),
                    f"{_fmt(s.ci_low)} to {_fmt(s.ci_high)}",
                    _hit(s.hit_rate),
                    _hit(s.base_hit_rate),
                    _fmt(s.ic, pct=False),
                ]
            )
    return rows


MEMBERSHIP_HEAD = (
    "universe",
    "first week on a dated list",
    "weeks on dated lists",
    "weeks on today's members",
)
FLIP_HEAD = ("signal", "weeks", "changed", "fired (lists)", "fired (today's)", "changed weeks")
BOTH_HEAD = ("strategy", "CAGR lists", "CAGR today's", "Sharpe lists", "Sharpe today's", "trades", "max DD")


def membership_rows(m: MembershipComparison) -> list[list[str]]:
    """Rows of the per-universe membership table (shared by HTML and terminal)."""
    return [
        [u.universe, str(u.first_list_week or "never"), str(u.weeks_point_in_time), str(u.weeks_current)]
        for u in m.universes
    ]


def flip_rows(m: MembershipComparison, shown: int = 8) -> list[list[str]]:
    """Rows of the signals that changed between the two replays (the first ``shown`` weeks listed)."""
    rows = []
    for s in m.signals:
        if not s.changed:
            continue
        weeks = ", ".join(str(d) for d in s.changed_weeks[:shown])
        more = len(s.changed_weeks) - shown
        rows.append(
            [
                s.signal,
                str(s.weeks),
                str(s.changed),
                str(s.fired_point_in_time),
                str(s.fired_current),
                weeks + (f" (+{more} more)" if more > 0 else ""),
            ]
        )
    return rows


def both_rows(m: MembershipComparison) -> list[list[str]]:
    """Rows of the strategies run on the dated lists and on today's members over the window."""
    return [
        [
            s.name,
            _fmt(s.point_in_time.cagr),
            _fmt(s.current_members.cagr),
            _fmt(s.point_in_time.sharpe, pct=False),
            _fmt(s.current_members.sharpe, pct=False),
            f"{s.point_in_time.trades} / {s.current_members.trades}",
            f"{_fmt(s.point_in_time.max_drawdown)} / {_fmt(s.current_members.max_drawdown)}",
        ]
        for s in m.strategies
    ]


def _membership_html(m: MembershipComparison | None) -> str:
    if m is None:
        return ""
    flips = flip_rows(m, shown=50)
    return (
        "<h2>Point-in-time membership</h2>"
        f"<p>{html.escape(m.summary)} {html.escape(m.scope)}</p>"
        + _table(MEMBERSHIP_HEAD, membership_rows(m))
        + (_table(FLIP_HEAD, flips) if flips else "<p>No regime signal changed.</p>")
        + (_table(BOTH_HEAD, both_rows(m)) if m.strategies else "")
    )


def html_page(result: BacktestResult, charts: dict[str, bytes]) -> str:
    """A self-contained HTML page: tables, caveats and the PNG charts embedded as base64."""
    r = result
    imgs = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"></figure>'
        for name, png in charts.items()
    )
    caveats = "".join(f"<li>{html.escape(c)}</li>" for c in r.caveats)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rotascope backtest {r.start} to {r.end}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;
font-size:13px;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.caveat{{background:#fff6d6;padding:.6em 1em}}
img{{max-width:100%}}</style></head><body>
<h1>Weekly backtest {r.start} to {r.end} ({r.weeks:,} weeks)</h1>
<p>Data: {html.escape(r.source)} ({html.escape(r.data_fingerprint)}). Costs {r.params.cost_bps:g} bps per unit
of turnover per leg. {html.escape(r.disclaimer)}</p>
<div class="caveat"><strong>Caveats</strong><ul>{caveats}</ul></div>
<h2>Strategies vs benchmarks</h2>
{_table(STRATEGY_HEAD, strategy_rows([*r.strategies, *r.benchmarks]))}
<h2>Signals (sorted by information; * = survivorship bias)</h2>
<p>{html.escape(r.attribution.fired_rule)}; forward = IWM minus SPY return; CI: {r.attribution.confidence:.0%}
{html.escape(r.attribution.block)} bootstrap, {r.attribution.draws} draws, seed {r.attribution.seed}.</p>
{_table(SIGNAL_HEAD, signal_rows(r.attribution))}
{_membership_html(r.membership)}
{imgs}
</body></html>
"""


SIGNALS_COLUMNS = {
    "as_of": "the weekly as-of date (the last session of the week); every signal is known at its close",
    "fwd_*": "LABELS (future IWM-minus-SPY returns over h weeks), not signals; empty where the horizon "
    "runs past the window",
    "membership_*": "point_in_time = breadth counted on the dated list in force, current = today's members",
}
"""Column notes of signals.csv (its CSVW sidecar)."""


def write_outputs(run: BacktestRun, out: Path) -> list[Path]:
    """Write backtest.json, signals.csv (plain CSV) with its CSVW sidecar, equity.png, hit_rates.png and
    backtest.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    charts = {"equity.png": equity_png(run.sims), "hit_rates.png": hitrate_png(run.result.attribution)}
    paths: list[Path] = []
    target = out / "backtest.json"
    atomic_write(target, run.result.to_json())
    paths.append(target)
    frame = run.replay.signals.join(run.labels)
    if run.replay.membership is not None:
        frame = frame.join(run.replay.membership.add_prefix("membership_"))
    target = out / "signals.csv"
    atomic_write(target, frame.to_csv(float_format="%.6g", lineterminator="\n"))
    paths.append(target)
    target = out / sidecar_name("signals.csv")
    atomic_write(target, sidecar("signals.csv", "Weekly replayed signals. " + CAVEATS[0], SIGNALS_COLUMNS))
    paths.append(target)
    for name, png in charts.items():
        target = out / name
        atomic_write(target, png)
        paths.append(target)
    target = out / "backtest.html"
    atomic_write(target, html_page(run.result, charts))
    paths.append(target)
    return paths
