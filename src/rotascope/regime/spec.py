"""Declarative rule specs, judged by the one rule engine (``regime.engine``) over any number of rows.

A :class:`Check` names the value it reads, the comparison (``regime.engine``, shared with the agents'
claims), the threshold field of ``thresholds.toml`` it is judged against, and its unit, window and
source. A ladder level, a checklist question and a killer are checks plus how they combine: every check
passed (``"all"``), or any known check passed (``"any"``: unknown only when every check is unknown).
Texts are ``str.format`` templates over the thresholds (``{t.killers.yield_spike_13w:.2f}``), the R2000
breadth caveat (``{caveat}``) and a check's ``note_values`` (``{0:.0f}``, missing read as 0), so each
sentence is generated from the numbers it states.

:class:`Rules` judges specs on every row of an axis at once, given what each read gives there (a
:data:`Reader`: the weekly replay reads the monitor panel at every weekly row, ``monitor.columns``);
:class:`Judge` is the same evaluation on one snapshot (an axis of length 1) that also words the records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from rotascope._typing import BoolArray, Float64Array
from rotascope.measures import Measure
from rotascope.records import Breadth, CheckItem, Evidence, Killer, LadderLevel, Snapshot, rnd
from rotascope.regime.engine import Combine, Comparison, combine, tri, verdicts
from rotascope.regime.thresholds import Thresholds


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


R = TypeVar("R", covariant=True)
Note = str | Callable[[Snapshot], str]
"""A check's note: a template (see the module docstring) or the words of a function of the snapshot."""


@dataclass(frozen=True)
class Check(Generic[R]):
    """One comparison: ``read`` ``op`` the threshold ``bar`` (a thresholds.toml path from the file's root,
    or a fixed line). The regime's checks read a :data:`Read` of the snapshot; the agents' claims read a
    column of the monitor panel (``agents.columns.Column``): one record, one way to judge it."""

    name: str
    read: R
    op: Comparison
    bar: str | float
    source: str
    window: str = ""
    unit: str = ""
    note: Note = ""
    note_values: tuple[Read, ...] = ()
    when: Cond | None = None


def setting(t: Thresholds, path: str) -> Any:
    """The thresholds' value at a dotted path (``"ladder.credit.min_kre_rel_1m"``)."""
    return reduce(getattr, path.split("."), t)


def bar_of(c: Check[Any], t: Thresholds) -> float:
    """The check's threshold under ``t``: its path's number, or its fixed line."""
    return float(setting(t, c.bar)) if isinstance(c.bar, str) else c.bar


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
    checks: tuple[Check[Read], ...]
    rule: tuple[Text, ...]
    join: str = ""
    tail: str = ""
    proxy: str | None = None
    when: Cond | None = None
    otherwise: LevelSpec | None = None
    combine: Combine = "all"

    def chain(self) -> list[LevelSpec]:
        """This level and its alternatives (``otherwise``), in order."""
        return [self, *(self.otherwise.chain() if self.otherwise is not None else [])]


@dataclass(frozen=True)
class QuestionSpec:
    """A checklist question, answered from its checks."""

    key: str
    question: str
    checks: tuple[Check[Read], ...]
    combine: Combine = "any"


@dataclass(frozen=True)
class KillerSpec:
    """A rotation killer: ``trigger`` is its wording; it fires when its checks combine to a pass."""

    key: str
    name: str
    trigger: str
    checks: tuple[Check[Read], ...]
    combine: Combine = "any"


def reads_of(specs: list[LevelSpec | QuestionSpec | KillerSpec]) -> tuple[Read, ...]:
    """Every value the specs read (their checks, conditions and notes), once each, in order."""
    checks = [c for spec in specs for c in spec.checks]
    conds = [c.when for c in checks] + [s.when for s in specs if isinstance(s, LevelSpec)]
    reads = [c.read for c in checks] + [r for c in checks for r in c.note_values]
    reads += [r for w in conds if isinstance(w, Known) for r in w.reads]
    return tuple(dict.fromkeys(reads))


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
    verdict = verdicts(np.array([np.nan if value is None else value]), [threshold], [comparison])
    return _evidence(
        snap, name, value, tri(float(verdict[0])), comparison, threshold, source, window, unit, note
    )


def _evidence(
    snap: Snapshot,
    name: str,
    value: float | None,
    passed: bool | None,
    comparison: str,
    threshold: float,
    source: str,
    window: str,
    unit: str,
    note: str,
) -> Evidence:
    return Evidence(
        name=name,
        value=value,
        threshold=threshold,
        comparison=comparison,
        passed=passed,
        as_of=snap.as_of,
        source=f"{snap.source}: {source}",
        window=window,
        unit=unit,
        note=note,
    )


def r2000(snap: Snapshot) -> Breadth:
    """The Russell 2000 breadth of the snapshot."""
    return next(b for b in snap.breadth if b.universe == "R2000")


Reader = Callable[[Read], Float64Array]
"""What a read gives on every row of the axis being judged (NaN = no data)."""


def snapshot_reader(snap: Snapshot) -> Reader:
    """The reads of one snapshot, as an axis of one row."""

    def read(r: Read) -> Float64Array:
        value = r.of(snap)
        return np.array([np.nan if value is None else value], dtype=np.float64)

    return read


class Rules:
    """Judges specs on ``n`` rows at once: ``read`` gives each read's values there, ``t`` the thresholds."""

    def __init__(self, read: Reader, t: Thresholds, n: int) -> None:
        self.read, self.t, self.n = read, t, n

    def mask(self, cond: Cond | None) -> BoolArray:
        """Rows where the condition holds."""
        if cond is None:
            return np.ones(self.n, dtype=bool)
        if isinstance(cond, Flag):
            return np.full(self.n, bool(setting(self.t, cond.path)))
        known = np.column_stack([np.isfinite(self.read(r)) for r in cond.reads])
        return np.asarray(known.any(axis=1), dtype=bool)

    def values(self, checks: tuple[Check[Read], ...]) -> Float64Array:
        """rows x checks: what each check reads."""
        cols = [self.read(c.read) for c in checks]
        return np.column_stack(cols) if cols else np.zeros((self.n, 0))

    def checks(self, checks: tuple[Check[Read], ...]) -> tuple[Float64Array, BoolArray]:
        """(verdicts, present), rows x checks: each check judged, and whether the row makes it."""
        v = verdicts(self.values(checks), [bar_of(c, self.t) for c in checks], [c.op for c in checks])
        present = (
            np.column_stack([self.mask(c.when) for c in checks]) if checks else np.ones((self.n, 0), bool)
        )
        return v, present

    def answer(self, how: Combine, checks: tuple[Check[Read], ...]) -> Float64Array:
        return combine(how, *self.checks(checks))

    def level(self, spec: LevelSpec) -> Float64Array:
        """1.0 where the level passed, 0.0 where not (rows where ``when`` fails judge ``otherwise``)."""
        passed = self.answer(spec.combine, spec.checks) == 1.0
        if spec.otherwise is not None:
            passed = np.where(self.mask(spec.when), passed, self.level(spec.otherwise) == 1.0)
        return np.asarray(passed, dtype=np.float64)

    def question(self, spec: QuestionSpec) -> Float64Array:
        return self.answer(spec.combine, spec.checks)

    def killer(self, spec: KillerSpec) -> Float64Array:
        return self.answer(spec.combine, spec.checks)


class Judge:
    """The rules on one snapshot (an axis of one row), worded as records with their evidence."""

    def __init__(self, snap: Snapshot, t: Thresholds) -> None:
        self.snap, self.t = snap, t
        self.rules = Rules(snapshot_reader(snap), t, 1)
        self._caveat: str | None = None

    def text(self, template: str, values: tuple[float | None, ...] = ()) -> str:
        if "{" not in template:
            return template
        if self._caveat is None:
            self._caveat = r2000(self.snap).caveat
        return template.format(*[v or 0 for v in values], t=self.t, caveat=self._caveat)

    def holds(self, cond: Cond | None) -> bool:
        return bool(self.rules.mask(cond)[0])

    def all_evidence(self, checks: tuple[Check[Read], ...]) -> list[Evidence]:
        """The evidence of the checks this snapshot makes, each with the engine's verdict."""
        verdict, present = self.rules.checks(checks)
        values = self.rules.values(checks)
        out = []
        for j, c in enumerate(checks):
            if not present[0, j]:
                continue
            value = float(values[0, j])
            note = (
                self.text(c.note, tuple(r.of(self.snap) for r in c.note_values))
                if isinstance(c.note, str)
                else c.note(self.snap)
            )
            out.append(
                _evidence(
                    self.snap,
                    c.name,
                    value if np.isfinite(value) else None,
                    tri(float(verdict[0, j])),
                    c.op,
                    bar_of(c, self.t),
                    c.source,
                    self.text(c.window),
                    c.unit,
                    note,
                )
            )
        return out

    def rule(self, spec: LevelSpec) -> str:
        parts = [self.text(p.template) for p in spec.rule if self.holds(p.when)]
        return spec.join.join(parts) + self.text(spec.tail)

    def level(self, spec: LevelSpec) -> LadderLevel:
        passed = bool(self.rules.level(spec)[0] == 1.0)
        while not self.holds(spec.when) and spec.otherwise is not None:
            spec = spec.otherwise
        return LadderLevel(
            level=spec.level,
            name=spec.name,
            passed=passed,
            evidence=self.all_evidence(spec.checks),
            rule=self.rule(spec),
            next_check=spec.next_check,
            proxy=spec.proxy,
        )

    def question(self, spec: QuestionSpec) -> CheckItem:
        passed = tri(float(self.rules.question(spec)[0]))
        return CheckItem(
            key=spec.key, question=spec.question, passed=passed, evidence=self.all_evidence(spec.checks)
        )

    def killer(self, spec: KillerSpec) -> Killer:
        return Killer(
            key=spec.key,
            name=spec.name,
            triggered=tri(float(self.rules.killer(spec)[0])),
            trigger=self.text(spec.trigger),
            evidence=self.all_evidence(spec.checks),
        )
