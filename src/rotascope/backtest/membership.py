"""Point-in-time membership in the backtest: which member list each week was counted on, and the replay
re-run on today's members over the weeks where dated lists exist, to show what the lists change.

``compare_membership`` takes the backtest's own replay (breadth on the list in force, today's members
before the first list) and replays the monitor once more with every point-in-time universe recounted on
today's members (``engine.todays_members``), over the weeks where the universe the regime reads
(``BREADTH_UNIVERSE``) was on a dated list. It reports, for every regime signal, the weeks whose value
differs, and the rules-based strategies run both ways over that window. Injected (agent) signals and the
decision tilt are not re-run: that would take the agents over a second monitor.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd

from rotascope._typing import DateArray
from rotascope.backtest import replay_cache
from rotascope.backtest.replay import BREADTH_UNIVERSE, Replay, replay
from rotascope.backtest.strategies import StrategyStats, run_strategies
from rotascope.monitor.engine import todays_members
from rotascope.monitor.run import Monitor
from rotascope.records import Record

SCOPE = (
    "Regime signals (ladder, checklist, killers) and strategies 1-2 are replayed both ways; injected agent "
    "signals and the decision tilt are not re-run on today's members."
)


class UniverseWeeks(Record):
    """How many replayed weeks counted one universe on a dated list and how many on today's members."""

    universe: str
    first_list_week: date | None
    """First as-of counted on a point-in-time list (None: no week was)."""
    weeks_point_in_time: int
    weeks_current: int


class SignalChange(Record):
    """One regime signal on the point-in-time lists vs on today's members, over the comparison window."""

    signal: str
    weeks: int
    changed: int
    """Weeks whose value differs (a known value against an unknown one counts as a change)."""
    fired_point_in_time: int
    fired_current: int
    """Weeks with the signal > 0 on today's members."""
    changed_weeks: list[date]


class StrategyBothWays(Record):
    """A strategy over the comparison window with breadth on the dated lists and on today's members."""

    name: str
    point_in_time: StrategyStats
    current_members: StrategyStats


class MembershipComparison(Record):
    """What the point-in-time lists change in the backtest (computed, never assumed)."""

    universe: str
    """The universe the breadth signals read; the window is the weeks it was on a dated list."""
    start: date | None
    end: date | None
    weeks: int
    universes: list[UniverseWeeks]
    signals: list[SignalChange]
    """Every regime signal compared, the most changed first."""
    strategies: list[StrategyBothWays]
    summary: str
    scope: str = SCOPE


def universe_weeks(membership: pd.DataFrame) -> list[UniverseWeeks]:
    """Per universe: weeks on a point-in-time list, weeks on today's members, first point-in-time week."""
    out: list[UniverseWeeks] = []
    for name in membership.columns:
        pit = (membership[name] == "point_in_time").to_numpy()
        first = membership.index[int(np.argmax(pit))].date() if pit.any() else None
        out.append(
            UniverseWeeks(
                universe=str(name),
                first_list_week=first,
                weeks_point_in_time=int(pit.sum()),
                weeks_current=int((~pit).sum()),
            )
        )
    return out


def signal_changes(pit: pd.DataFrame, current: pd.DataFrame) -> list[SignalChange]:
    """Compare the columns both frames hold, week by week (NaN equals NaN); most changed first."""
    cols = [c for c in pit.columns if c in current.columns]
    a, b = pit[cols], current.reindex(index=pit.index, columns=cols)
    differ = ~((a == b) | (a.isna() & b.isna()))
    rows = [
        SignalChange(
            signal=str(c),
            weeks=len(a),
            changed=int(differ[c].sum()),
            fired_point_in_time=int((a[c] > 0).sum()),
            fired_current=int((b[c] > 0).sum()),
            changed_weeks=[d.date() for d in a.index[differ[c].to_numpy()]],
        )
        for c in cols
    ]
    return sorted(rows, key=lambda r: (-r.changed, r.signal))


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.1%}"


def summarize(
    universe: str, days: DateArray, signals: list[SignalChange], both: list[StrategyBothWays]
) -> str:
    """One paragraph generated from the comparison's numbers."""
    if len(days) == 0:
        return f"No replayed week counted the {universe} on a point-in-time list: nothing to compare."
    moved = [s for s in signals if s.changed]
    head = (
        f"Over {days[0]} to {days[-1]} ({len(days):,} weeks on {universe} point-in-time lists), "
        f"{len(moved)} of {len(signals)} regime signals changed in at least one week when breadth is "
        "recounted on today's members"
    )
    if moved:
        head += " (" + ", ".join(f"{s.signal} {s.changed} wk" for s in moved[:6]) + ")"
    parts = [head + "."]
    for s in both:
        if s.name.startswith("hold_"):
            continue
        p, c = s.point_in_time, s.current_members
        same = p.final_equity == c.final_equity and p.trades == c.trades
        parts.append(
            f"{s.name}: CAGR {_pct(p.cagr)} on the lists vs {_pct(c.cagr)} on today's members"
            + (
                " (identical: it reads no member breadth)."
                if same
                else f" ({p.trades} vs {c.trades} trades)."
            )
        )
    return " ".join(parts)


def compare_membership(
    monitor: Monitor,
    rep: Replay,
    cost_bps: float = 5.0,
    stop: float = 0.10,
    lag: int = 1,
    universe: str = BREADTH_UNIVERSE,
    end: np.datetime64 | None = None,
) -> MembershipComparison:
    """Re-run the replay and strategies 1-2 on today's members over the weeks ``universe`` was on a dated
    list, and set them against the point-in-time replay ``rep`` (see the module docstring); the strategies
    close on ``end``, the backtest window's last day (default: the last calendar day). From the disk cache
    (``replay_cache``) when the monitor, ``rep`` and the parameters were seen before."""
    members = rep.membership if rep.membership is not None else pd.DataFrame(index=rep.signals.index)
    path = replay_cache.entry_path(
        monitor,
        "membership",
        ".json",
        replay_cache.frame_digest(rep.signals),
        replay_cache.frame_digest(members),
        repr((cost_bps, stop, lag, universe, None if end is None else str(end))),
    )
    hit = replay_cache.load_text(path, MembershipComparison.model_validate_json)
    if isinstance(hit, MembershipComparison):
        return hit
    made = _compare(monitor, rep, cost_bps, stop, lag, universe, end)
    replay_cache.save_text(path, made.model_dump_json())
    return made


def _compare(
    monitor: Monitor,
    rep: Replay,
    cost_bps: float,
    stop: float,
    lag: int,
    universe: str,
    end: np.datetime64 | None,
) -> MembershipComparison:
    """``compare_membership`` computed (no cache)."""
    membership = rep.membership if rep.membership is not None else pd.DataFrame(index=rep.signals.index)
    weeks = universe_weeks(membership)
    on = (
        (membership[universe] == "point_in_time").to_numpy()
        if universe in membership.columns
        else np.zeros(len(membership), dtype=bool)
    )
    days = rep.asof[on]
    if len(days) == 0:
        return MembershipComparison(
            universe=universe,
            start=None,
            end=None,
            weeks=0,
            universes=weeks,
            signals=[],
            strategies=[],
            summary=summarize(universe, days, [], []),
        )
    alt = dataclasses.replace(monitor, panel=todays_members(monitor.panel), cache_dir=None)
    other = replay(alt, days)
    own = rep.signals.loc[rep.signals.index[on], list(other.signals.columns)]
    changes = signal_changes(own, other.signals)
    both: list[StrategyBothWays] = []
    if len(days) >= 2:
        mine = run_strategies(monitor.panel, days, cost_bps, None, stop, lag, end)
        theirs = {s.name: s for s in run_strategies(alt.panel, days, cost_bps, None, stop, lag, end)}
        both = [
            StrategyBothWays(name=s.name, point_in_time=s.stats(), current_members=theirs[s.name].stats())
            for s in mine
        ]
    return MembershipComparison(
        universe=universe,
        start=days[0].astype(date),
        end=days[-1].astype(date),
        weeks=len(days),
        universes=weeks,
        signals=changes,
        strategies=both,
        summary=summarize(universe, days, changes, both),
    )
