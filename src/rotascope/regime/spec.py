"""Declarative rule specs and the one small interpreter that judges them over a Snapshot.

A :class:`Check` names the value it reads, the comparison (``regime.compare``, shared with the agents'
claims), the threshold field of ``thresholds.toml`` it is judged against, and its unit, window and
source. A ladder level, a checklist question and a killer are checks plus how they combine: every check
passed (``"all"``), or any known check passed (``"any"``: unknown only when every check is unknown).
Texts are ``str.format`` templates over the thresholds (``{t.killers.yield_spike_13w:.2f}``), the R2000
breadth caveat (``{caveat}``) and a check's ``note_values`` (``{0:.0f}``, missing read as 0), so each
sentence is generated from the numbers it states.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

from rotascope.measures import Measure
from rotascope.records import Breadth, CheckItem, Evidence, Killer, LadderLevel, Snapshot, rnd
from rotascope.regime.compare import Comparison, holds
from rotascope.regime.thresholds import Thresholds

Combine = Literal["all", "any"]
"""How checks make one answer: all passed, or any known one passed (None when none is known)."""


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else rnd(a - b)


@dataclass(frozen=True)
class PairReturn:
    """A ratio pair's relative return over one of its windows (``"1m"`` = 21 days)."""

    pair: str
    window: str

    def of(self, snap: Snapshot) -> float | None:
        return snap.pair(self.pair).returns.get(self.window)


@dataclass(frozen=True)
class PairField:
    """A ratio pair's trend field (weeks up, distance from an average)."""

    pair: str
    field: Literal["persistence_4w", "dist_sma50"]

    def of(self, snap: Snapshot) -> float | None:
        p = snap.pair(self.pair)
        return p.persistence_4w if self.field == "persistence_4w" else p.dist_sma50


BreadthName = Literal["pct_above_50", "pct_above_50_20d_ago", "ad_line_vs_sma50"]


@dataclass(frozen=True)
class R2000Breadth:
    """A field of the Russell 2000 breadth, or its change against an earlier field (``minus``)."""

    field: BreadthName
    minus: BreadthName | None = None

    def of(self, snap: Snapshot) -> float | None:
        b = r2000(snap)
        value: float | None = getattr(b, self.field)
        return value if self.minus is None else _diff(value, getattr(b, self.minus))


@dataclass(frozen=True)
class CountUp:
    """How many of the pairs rose over the window (unknown when any pair is unknown)."""

    pairs: tuple[str, ...]
    window: str

    def of(self, snap: Snapshot) -> float | None:
        vals = [snap.pair(p).returns.get(self.window) for p in self.pairs]
        return (
            None if any(v is None for v in vals) else float(sum(1 for v in vals if v is not None and v > 0))
        )


Read = Measure | PairReturn | PairField | R2000Breadth | CountUp
"""Where a check's value comes from: a named measure of the snapshot, or a field of its records."""


@dataclass(frozen=True)
class Flag:
    """Holds when the thresholds' switch at ``path`` is on."""

    path: str


@dataclass(frozen=True)
class Known:
    """Holds when any of the reads has a value on this snapshot."""

    reads: tuple[Read, ...]


Cond = Flag | Known


@dataclass(frozen=True)
class Check:
    """One comparison: ``read`` ``op`` the threshold ``bar`` (a thresholds.toml path, or a fixed line)."""

    name: str
    read: Read
    op: Comparison
    bar: str | float
    source: str
    window: str = ""
    unit: str = ""
    note: str = ""
    note_values: tuple[Read, ...] = ()
    when: Cond | None = None


@dataclass(frozen=True)
class Text:
    """A piece of a rule's wording, left out when its condition does not hold."""

    template: str
    when: Cond | None = None


@dataclass(frozen=True)
class LevelSpec:
    """A ladder level; when ``when`` does not hold, ``otherwise`` (same level, other evidence) is judged."""

    level: int
    name: str
    next_check: str
    checks: tuple[Check, ...]
    rule: tuple[Text, ...]
    join: str = ""
    tail: str = ""
    proxy: str | None = None
    when: Cond | None = None
    otherwise: LevelSpec | None = None
    combine: Combine = "all"


@dataclass(frozen=True)
class QuestionSpec:
    """A checklist question, answered from its checks."""

    key: str
    question: str
    checks: tuple[Check, ...]
    combine: Combine = "any"


@dataclass(frozen=True)
class KillerSpec:
    """A rotation killer: ``trigger`` is its wording; it fires when its checks combine to a pass."""

    key: str
    name: str
    trigger: str
    checks: tuple[Check, ...]
    combine: Combine = "any"


def evidence(
    snap: Snapshot,
    name: str,
    value: float | None,
    comparison: str,
    threshold: float,
    *,
    source: str,
    window: str = "",
    unit: str = "",
    note: str = "",
) -> Evidence:
    """Evidence judged by ``comparison`` against ``threshold``, dated and sourced from the snapshot."""
    return Evidence(
        name=name,
        value=value,
        threshold=threshold,
        comparison=comparison,
        passed=None if value is None else holds(value, comparison, threshold),
        as_of=snap.as_of,
        source=f"{snap.source}: {source}",
        window=window,
        unit=unit,
        note=note,
    )


def r2000(snap: Snapshot) -> Breadth:
    """The Russell 2000 breadth of the snapshot."""
    return next(b for b in snap.breadth if b.universe == "R2000")


class Judge:
    """Evaluates specs for one snapshot and one set of thresholds."""

    def __init__(self, snap: Snapshot, t: Thresholds) -> None:
        self.snap, self.t = snap, t
        self._caveat: str | None = None

    def text(self, template: str, values: tuple[float | None, ...] = ()) -> str:
        if "{" not in template:
            return template
        if self._caveat is None:
            self._caveat = r2000(self.snap).caveat
        return template.format(*[v or 0 for v in values], t=self.t, caveat=self._caveat)

    def setting(self, path: str) -> Any:
        return reduce(getattr, path.split("."), self.t)

    def holds(self, cond: Cond | None) -> bool:
        if cond is None:
            return True
        if isinstance(cond, Flag):
            return bool(self.setting(cond.path))
        return any(r.of(self.snap) is not None for r in cond.reads)

    def evidence(self, c: Check) -> Evidence:
        bar = c.bar if isinstance(c.bar, float) else float(self.setting(c.bar))
        note = self.text(c.note, tuple(r.of(self.snap) for r in c.note_values))
        return evidence(
            self.snap,
            c.name,
            c.read.of(self.snap),
            c.op,
            bar,
            source=c.source,
            window=self.text(c.window),
            unit=c.unit,
            note=note,
        )

    def all_evidence(self, checks: tuple[Check, ...]) -> list[Evidence]:
        return [self.evidence(c) for c in checks if self.holds(c.when)]

    def rule(self, spec: LevelSpec) -> str:
        parts = [self.text(p.template) for p in spec.rule if self.holds(p.when)]
        return spec.join.join(parts) + self.text(spec.tail)

    def level(self, spec: LevelSpec) -> LadderLevel:
        while not self.holds(spec.when) and spec.otherwise is not None:
            spec = spec.otherwise
        ev = self.all_evidence(spec.checks)
        return LadderLevel(
            level=spec.level,
            name=spec.name,
            passed=combine(spec.combine, ev) is True,
            evidence=ev,
            rule=self.rule(spec),
            next_check=spec.next_check,
            proxy=spec.proxy,
        )

    def question(self, spec: QuestionSpec) -> CheckItem:
        ev = self.all_evidence(spec.checks)
        return CheckItem(key=spec.key, question=spec.question, passed=combine(spec.combine, ev), evidence=ev)

    def killer(self, spec: KillerSpec) -> Killer:
        ev = self.all_evidence(spec.checks)
        return Killer(
            key=spec.key,
            name=spec.name,
            triggered=combine(spec.combine, ev),
            trigger=self.text(spec.trigger),
            evidence=ev,
        )


def combine(how: Combine, evidence: list[Evidence]) -> bool | None:
    """``"all"``: every check passed; ``"any"``: a known check passed (None when none is known)."""
    if how == "all":
        return all(e.passed is True for e in evidence)
    known = [e for e in evidence if e.passed is not None]
    return None if not known else any(e.passed is True for e in known)
