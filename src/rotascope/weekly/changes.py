"""What changed since the previous stored universe analysis, item by item, each with its old and new value.

The decision side (ladder level, killers, probabilities, stance) comes from the typed run-to-run diff
(:func:`rotascope.report.diff.diff_analyses`); the market side (relative strength over its windows, breadth,
credit and rates) from the monitor's snapshots at both as-of dates, which are point in time, so the old
values are what the monitor showed on the previous as-of.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from rotascope.records import Analysis, Breadth, Record, Snapshot, rnd
from rotascope.report.diff import KillerFlip, NumberChange, TextChange, diff_analyses
from rotascope.report.termkit import num, pct

Unit = Literal["return", "share", "percent", "pp", "index", "count", "probability", "level"]
RS_PAIRS = ("IWM/SPY", "RSP/SPY")
RS_WINDOWS = ("1w", "1m", "3m", "6m", "12m")
BREADTH_ITEMS: tuple[tuple[str, str, Unit], ...] = (
    ("pct_above_50", "% of members above their 50-day average", "share"),
    ("pct_above_200", "% of members above their 200-day average", "share"),
    ("ad_line_vs_sma50", "A/D line vs its 50-day average", "count"),
    ("mcclellan_oscillator", "McClellan oscillator", "index"),
    ("net_new_highs", "52-week highs minus lows", "count"),
    ("sector_participation", "sectors with most members above the 50-day", "share"),
)
"""Breadth measures of the Russell 2000 members: field of ``Breadth``, label, unit."""
RATES_CREDIT: tuple[tuple[str, str, Unit], ...] = (
    ("hy_oas", "HY OAS", "percent"),
    ("baa_spread", "Baa spread", "percent"),
    ("ust_10y", "10-year Treasury yield", "percent"),
    ("ust_2y", "2-year Treasury yield", "percent"),
    ("curve_10y_2y", "10y-2y curve", "pp"),
    ("vix", "VIX", "index"),
    ("nfci", "NFCI (financial conditions)", "index"),
)
"""Monitor macro values (``Macro.values`` keys), label, unit."""


class Move(Record):
    """One item that changed: its old and new value (None where a side has none) and the unit."""

    name: str
    unit: Unit
    old: float | None
    new: float | None

    def text(self) -> str:
        """'IWM/SPY 1m: +2.10% → +7.57%'."""
        return f"{self.name}: {fmt(self.old, self.unit)} → {fmt(self.new, self.unit)}"


class SinceLastWeek(Record):
    """Every item of the weekly comparison that changed, grouped as the summary lists them."""

    previous_id: str
    previous_as_of: date
    as_of: date
    ladder: Move | None
    killers: list[KillerFlip]
    probabilities: list[Move]
    decision: list[TextChange]
    conviction: Move | None
    relative_strength: list[Move]
    breadth: list[Move]
    rates_credit: list[Move]
    verdict: str
    same_data: bool

    def items(self) -> list[str]:
        """Every change as one line, in the summary's order."""
        lines = [self.ladder.text()] if self.ladder else []
        state = {True: "triggered", False: "quiet"}
        lines += [f"killer {k.key}: {state[k.old]} → {state[k.new]}" for k in self.killers]
        lines += [m.text() for m in self.probabilities]
        lines += [f"{t.name}: {t.old} → {t.new}" for t in self.decision]
        lines += [self.conviction.text()] if self.conviction else []
        lines += [m.text() for m in (*self.relative_strength, *self.breadth, *self.rates_credit)]
        return lines


def fmt(value: float | None, unit: Unit) -> str:
    """A value in its unit, as the terminal shows it (``termkit``'s percent and number formats)."""
    if value is None or unit not in ("percent", "pp"):
        digits = {"return": 2, "share": 1, "probability": 0}.get(unit)
        if digits is not None:
            return pct(value, digits, signed=unit == "return")
        return num(value, 0 if unit in ("count", "level") else 2)
    return f"{value:.2f}%" if unit == "percent" else f"{value:+.2f} pp"


def _moved(name: str, unit: Unit, old: float | None, new: float | None) -> Move | None:
    """A Move when the value changed as shown (a move below the shown precision is no change), else None."""
    a, b = rnd(old), rnd(new)
    return None if fmt(a, unit) == fmt(b, unit) else Move(name=name, unit=unit, old=a, new=b)


def _num(change: NumberChange, name: str, unit: Unit) -> Move | None:
    return _moved(name, unit, change.old, change.new)


def _r2000(snap: Snapshot) -> Breadth | None:
    return next((b for b in snap.breadth if b.universe == "R2000"), None)


def since_last_week(previous: Analysis, current: Analysis, old: Snapshot, new: Snapshot) -> SinceLastWeek:
    """The changed items from ``previous`` (and its snapshot ``old``) to ``current`` (``new``)."""
    d = diff_analyses(previous, current)
    rs = [
        _moved(f"{pair} {w}", "return", old.pair(pair).returns.get(w), new.pair(pair).returns.get(w))
        for pair in RS_PAIRS
        for w in RS_WINDOWS
    ]
    bo, bn = _r2000(old), _r2000(new)
    breadth = [
        _moved(label, unit, getattr(bo, key, None), getattr(bn, key, None))
        for key, label, unit in BREADTH_ITEMS
    ]
    rates = [
        _moved(label, unit, old.macro.values.get(key), new.macro.values.get(key))
        for key, label, unit in RATES_CREDIT
    ]
    probs = [_num(s, f"P({s.name})", "probability") for s in d.scenarios]
    return SinceLastWeek(
        previous_id=previous.id,
        previous_as_of=previous.as_of,
        as_of=current.as_of,
        ladder=_num(d.ladder, "ladder level", "level"),
        killers=d.killers,
        probabilities=[p for p in probs if p is not None],
        decision=[t for t in (d.stance, d.direction, d.mode) if t.changed],
        conviction=_num(d.conviction, "conviction", "index"),
        relative_strength=[m for m in rs if m is not None],
        breadth=[m for m in breadth if m is not None],
        rates_credit=[m for m in rates if m is not None],
        verdict=d.verdict,
        same_data=d.same_data,
    )
