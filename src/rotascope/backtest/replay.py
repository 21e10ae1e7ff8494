"""Point-in-time weekly replay of the monitor and the regime rules (plus injected extra signals).

The monitor panel is computed once over the whole history (``build_monitor``); every indicator in it is
causal, so row ``t`` sees nothing later. The replay reads the rules' inputs at every weekly row as columns
(``monitor.columns``) and judges the ladder, checklist and killers of all weeks in one call of the rule
engine (``regime.rules.signals``, the specs and engine ``Monitor.at`` words for one week), giving one row
of float signals per week:

* ``ladder_reached`` — evidence-ladder level reached, 0-5 (a score);
* ``ladder_l{n}`` — rung n passed on its own (1/0);
* ``check_{key}`` — checklist item passed (1/0; NaN when the rule could not be judged);
* ``killer_{key}`` — rotation killer triggered (1/0; NaN when none of its inputs is known);
* any column returned by the injected ``extra`` callable (agent stance scores, a decision tilt…).

Member-based signals (``SIGNAL_MEMBERS``: ladder levels 2 and 4, the breadth check, the downdraft killer)
read Russell 2000 members: breadth the point-in-time list in force where one exists, today's members before it
(survivorship bias: ``SURVIVORSHIP`` travels with every replay). ``Replay.membership`` records, week by
week and per universe, which of the two each breadth figure was counted on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from rotascope._typing import DateArray
from rotascope.backtest.calendar import as_index, saved_sessions, weekly_asof
from rotascope.indicators.kernels import IntArray
from rotascope.monitor.asof import resolve_as_of
from rotascope.monitor.columns import rule_columns
from rotascope.monitor.engine import SURVIVORSHIP, MonitorPanel
from rotascope.monitor.run import MIN_HISTORY, Monitor, MonitorResult
from rotascope.regime.rules import signals

SignalKind = Literal["flag", "score"]
ExtraSignals = Callable[[MonitorResult], Mapping[str, float]]
"""Per-week extra signals computed from the same MonitorResult (e.g. agents' ``analyze``)."""


@runtime_checkable
class BatchSignals(Protocol):
    """Extra signals of every week at once: ``prepare`` what does not need the regime (run in a worker
    beside the weekly regime rows), then ``frame`` them with the regime signals."""

    def prepare(self, days: DateArray) -> object:
        """All of ``days`` that does not depend on the regime (picklable: it may come from a worker)."""
        ...

    def frame(self, prepared: object, regime: pd.DataFrame) -> pd.DataFrame:
        """One row per date of the prepared ``days`` (same order), one float column per signal."""
        ...


Extra = ExtraSignals | BatchSignals
"""Extra replay signals: a per-week callable or a whole-history batch (the vectorised agents)."""

BREADTH_SIGNALS = (
    "ladder_reached",
    "ladder_l2",
    "ladder_l4",
    "check_breadth_improving",
    "check_cyclicals_confirming",
    "killer_cyclical_downdraft",
)
"""Signals that read index-member closes (breadth, sector medians; ``ladder_reached`` through level 2) and
so carry survivorship bias wherever the members are today's."""
BREADTH_UNIVERSE = "R2000"
"""The member universe the breadth signals read (the regime rules use Russell 2000 breadth only)."""
Membership = Literal["point_in_time", "current"]
MemberInput = Literal["list_in_force", "today"]
SIGNAL_MEMBERS: dict[str, MemberInput] = {
    "ladder_l2": "list_in_force",
    "check_breadth_improving": "list_in_force",
    "ladder_l4": "today",
    "killer_cyclical_downdraft": "today",
    "ladder_reached": "today",
}
"""Regime signals that read Russell 2000 member closes, and which members: ``list_in_force`` (breadth: the
dated list where one exists, today's members before it) or ``today`` (the cyclical/defensive member
medians of level 4 and the downdraft killer count today's members on every date; ``ladder_reached``
climbs through both). ``check_cyclicals_confirming`` reads sector ETFs, not members."""


@dataclass(frozen=True)
class Replay:
    """Signals of every weekly as-of date.

    ``signals``: index ``as_of`` (DatetimeIndex), one float column per signal: 1/0 for fired/not, NaN for
    unknown, scores as floats. ``kinds`` says which columns are 1/0 flags and which are scores.
    """

    signals: pd.DataFrame
    kinds: dict[str, SignalKind]
    data_fingerprint: str
    source: str
    elapsed_s: float
    extra_columns: tuple[str, ...] = ()
    """Columns that came from the injected ``extra`` callable."""
    caveats: tuple[str, ...] = field(default=(SURVIVORSHIP,))
    membership: pd.DataFrame | None = None
    """Per as-of (index) and universe (columns R2000, SP500…): ``point_in_time`` when breadth counted the
    dated list in force, ``current`` when it counted today's members (before the first list)."""

    @property
    def asof(self) -> DateArray:
        """The as-of dates as datetime64[D]."""
        return np.asarray(self.signals.index.to_numpy().astype("datetime64[D]"))

    def upto(self, day: date) -> pd.DataFrame:
        """Signal rows with as-of <= ``day``."""
        return self.signals.loc[self.signals.index <= pd.Timestamp(day)]

    def point_in_time(self, universe: str = BREADTH_UNIVERSE) -> pd.Series:
        """Per as-of: True when ``universe`` breadth was counted on a dated list (False: today's members)."""
        if self.membership is None or universe not in self.membership.columns:
            return pd.Series(False, index=self.signals.index)
        return self.membership[universe] == "point_in_time"


def _flag(value: bool | None) -> float:
    return math.nan if value is None else float(value)


def regime_signals(result: MonitorResult) -> dict[str, float]:
    """Flatten one week's regime verdict into float signals (see the module docstring for the names)."""
    reg = result.regime
    row: dict[str, float] = {"ladder_reached": float(reg.ladder.reached)}
    for level in reg.ladder.levels:
        row[f"ladder_l{level.level}"] = float(level.passed)
    for item in reg.checklist:
        row[f"check_{item.key}"] = _flag(item.passed)
    for killer in reg.killers:
        row[f"killer_{killer.key}"] = _flag(killer.triggered)
    return row


PAIR = "IWM/SPY"


def weekly_rows(panel: MonitorPanel, days: DateArray) -> IntArray:
    """The calendar row of each as-of (the last trading date <= it), with ``resolve_as_of``'s errors for a
    day outside the data."""
    cal, day = panel.calendar, np.asarray(days, dtype="datetime64[D]")
    rows = np.searchsorted(cal, day, side="right").astype(np.int64) - 1
    late = day > cal[-1] if len(cal) else np.ones(len(day), dtype=bool)
    for d in day[(rows < MIN_HISTORY) | late][:1]:
        resolve_as_of(cal, d.astype(date), min_history=MIN_HISTORY)  # raises the one clear sentence
    return rows


def regime_frame(monitor: Monitor, days: DateArray) -> pd.DataFrame:
    """The regime signals of every as-of in ``days`` (see the module docstring for the names), judged on
    the panel's rows in one call of the rule engine: what ``regime_signals`` gives week by week."""
    rows = weekly_rows(monitor.panel, days)
    cols = signals(rule_columns(monitor.panel, rows), monitor.thresholds, len(rows))
    return pd.DataFrame(cols, index=as_index(days), dtype=np.float64)


def membership_frame(monitor: Monitor, days: DateArray) -> pd.DataFrame:
    """Per as-of and universe, which members breadth was counted on (``point_in_time`` or ``current``)."""
    dated = monitor.panel.dated_lists_at(weekly_rows(monitor.panel, days))
    kinds = {u: np.where(v, "point_in_time", "current") for u, v in dated.items()}
    return pd.DataFrame(kinds, index=as_index(days), dtype=str)


def replay_dates(monitor: Monitor, start: date | None = None, end: date | None = None) -> DateArray:
    """Weekly as-of dates the monitor can answer, from ``start`` (default: the pair's first date) to ``end``.

    An as-of needs MIN_HISTORY trading days behind it (``Monitor.at`` refuses earlier dates). Without a
    ``start`` the replay begins on the first day the IWM/SPY ratio exists (IWM listed 2000-05-26): before
    that there is no small-cap pair to rotate into and every relative-strength rule is unknown.
    """
    cal = monitor.panel.calendar
    if start is None:
        ratio = monitor.panel.pairs[PAIR].ratio
        finite = np.flatnonzero(np.isfinite(ratio))
        start = cal[finite[0]].astype(date) if len(finite) else None
    days = weekly_asof(cal, start, end, saved_sessions(monitor.cache_dir, cal[-1]) if len(cal) else None)
    if len(cal) > MIN_HISTORY:
        return np.asarray(days[days >= cal[MIN_HISTORY]])
    return np.asarray(days[:0])


def signal_kinds(frame: pd.DataFrame, extra_keys: set[str]) -> dict[str, SignalKind]:
    """Which replayed columns are 1/0 flags and which scores: the regime's are flags (``ladder_reached`` a
    score); an injected column is a flag when every known value is 0 or 1."""
    kinds: dict[str, SignalKind] = {}
    for col in frame.columns:
        vals = frame[col].dropna().to_numpy()
        is_flag = col not in extra_keys and col != "ladder_reached"
        if col in extra_keys and len(vals) and np.isin(vals, (0.0, 1.0)).all():
            is_flag = True
        kinds[str(col)] = "flag" if is_flag else "score"
    return kinds


def replay(
    monitor: Monitor,
    dates: DateArray | None = None,
    extra: Extra | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> Replay:
    """Replay monitor + regime (+ ``extra``) at each weekly as-of date into a typed ``Replay``.

    ``dates`` defaults to ``replay_dates(monitor, start, end)``. ``extra`` receives the same MonitorResult
    the rules saw, so whatever it computes is as-of that date too; its keys must not collide with the
    regime signal names and its values must be numbers (None becomes NaN). A ``BatchSignals`` extra gets
    every date and the regime signals at once, after the weekly loop.
    """
    days = replay_dates(monitor, start, end) if dates is None else np.asarray(dates).astype("datetime64[D]")
    began = time.perf_counter()
    extra_keys: set[str] = set()
    prepared: object = None
    if extra is None or isinstance(extra, BatchSignals):
        # every week at once: the rules judge the panel's weekly rows in one call of the rule engine
        frame = regime_frame(monitor, days)
        membership = membership_frame(monitor, days)
        prepared = extra.prepare(days) if extra is not None else None
    else:
        rows = []
        members: list[dict[str, Membership]] = []
        for d in days:
            result = monitor.at(d.astype(date))
            row = regime_signals(result)
            members.append({b.universe: b.membership for b in result.snapshot.breadth})
            more = extra(result)
            clash = set(more) & set(row)
            if clash:
                raise ValueError(f"extra signals collide with regime signals: {sorted(clash)}")
            for k, v in more.items():
                row[k] = math.nan if v is None else float(v)
            extra_keys.update(more)
            rows.append(row)
        frame = pd.DataFrame(rows, index=as_index(days), dtype=np.float64)
        membership = pd.DataFrame(members, index=as_index(days), dtype=str)
    if isinstance(extra, BatchSignals):
        batch = extra.frame(prepared, frame).astype(np.float64)
        clash = set(batch.columns) & set(frame.columns)
        if clash:
            raise ValueError(f"extra signals collide with regime signals: {sorted(clash)}")
        frame = pd.concat([frame, batch.set_axis(frame.index)], axis=1)
        extra_keys.update(str(c) for c in batch.columns)
    data = monitor.panel.data
    return Replay(
        signals=frame,
        kinds=signal_kinds(frame, extra_keys),
        data_fingerprint=data.fingerprint,
        source=data.source,
        elapsed_s=time.perf_counter() - began,
        extra_columns=tuple(sorted(extra_keys)),
        membership=membership,
    )
