"""The run-to-run diff in the terminal, readable at 80 columns: values in their units (percent, pp,
counts), probability moves in points, the broadening verdict as a wrapped paragraph.

Why a module of its own: ``rotascope diff`` shows the same :class:`~rotascope.report.diff.AnalysisDiff`
the web's ``/api/diff`` serves; only the layout lives here.
"""

from __future__ import annotations

from rich.console import Console

from rotascope.report.diff import AnalysisDiff, NumberChange
from rotascope.report.termkit import DELTA_UNIT, bullets, narrow, para, pct, show, table, unit_value


def _count(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f}"


def _signed(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:+.{digits}f}"


def _points(x: float | None, digits: int = 0) -> str:
    """A change of a probability or share, in percentage points."""
    return "" if x is None else f"{x * 100:+.{digits}f} pp"


def _mark(passed: bool | None) -> str:
    return "n/a" if passed is None else ("pass" if passed else "fail")


def _row(n: NumberChange, kind: str) -> tuple[str, str, str, str]:
    if kind == "count":
        return n.name, _count(n.old), _count(n.new), _signed(n.delta, 0)
    if kind == "share":
        return n.name, pct(n.old, 1), pct(n.new, 1), _points(n.delta, 1)
    return n.name, _signed(n.old), _signed(n.new), _signed(n.delta)


def render_diff(d: AnalysisDiff, console: Console) -> None:
    """Headline changes, agents, evidence that moved, killers that flipped, then the verdict."""
    para(console, f"Analysis {d.a_id} ({d.a_as_of}) → {d.b_id} ({d.b_as_of}) — {d.kind}", "bold")
    was = f" (was {d.subject.old})" if d.subject.changed else ""
    data = "unchanged" if d.same_data else "changed"
    config = "unchanged" if d.same_config else "changed"
    para(console, f"subject: {d.subject.new}{was}; data {data}; config {config}")
    head = table(console, "What changed")
    for col in ("item", "A", "B", "change"):
        head.add_column(col, justify="left" if col in ("item", "A", "B") else "right")
    head.add_row(*_row(d.ladder, "count"))
    for t in (d.stance, d.direction, d.mode):
        head.add_row(t.name, t.old, t.new, "changed" if t.changed else "")
    head.add_row(*_row(d.conviction, "signed"))
    head.add_row(*_row(d.tilt, "share"))
    for s in d.scenarios:
        head.add_row(f"P({s.name})", pct(s.old, 0, False), pct(s.new, 0, False), _points(s.delta))
    head.add_row(*_row(d.bullish_claims, "count"))
    head.add_row(*_row(d.evidence_passing, "count"))
    show(console, head)

    agents = table(console, "Agents (final, after the debate)")
    for col in ("agent", "stance A → B", "score A → B", "conf. A → B"):
        agents.add_column(col, no_wrap=col != "stance A → B")
    for g in d.agents:
        agents.add_row(
            g.agent,
            f"{g.stance.old} → {g.stance.new}",
            f"{_signed(g.score.old)} → {_signed(g.score.new)}",
            f"{_count(None) if g.confidence.old is None else f'{g.confidence.old:.2f}'} → "
            f"{_count(None) if g.confidence.new is None else f'{g.confidence.new:.2f}'}",
        )
    show(console, agents)

    ev = table(console, f"Evidence that changed ({len(d.evidence)} of {d.evidence_compared} compared)")
    ev.add_column("agent: evidence")
    for col in ("A", "B", "change"):
        ev.add_column(col, justify="right", no_wrap=True)
    ev.add_column("pass" if narrow(console) else "pass A → B", no_wrap=True)
    for e in d.evidence:
        if e.unit in DELTA_UNIT:
            delta = unit_value(e.delta, DELTA_UNIT[e.unit])
        elif e.unit in ("fraction", "pp"):
            delta = unit_value(e.delta, e.unit)
        else:
            delta = _signed(e.delta, 0 if e.unit in ("days", "count", "flag") else 2)
        ev.add_row(
            f"{e.agent}: {e.name}",
            unit_value(e.old, e.unit),
            unit_value(e.new, e.unit),
            delta,
            f"{_mark(e.passed_old)} → {_mark(e.passed_new)}",
        )
    show(console, ev)
    if d.killers:
        para(console, "Rotation killers that flipped", "italic")
        bullets(console, [f"{k.key}: {k.change}" for k in d.killers])
    else:
        para(console, "Rotation killers: no flips.")
    para(console, d.verdict)
