"""Rich terminal rendering of an analysis: opinions, debate, decision with scenarios and the risk desk.

Readable at 80 columns and up: the opinions table holds only the short numbers (stance, score,
confidence before → after); each agent's claims and risks, and every debate exchange, are listed under it
as wrapped bullets instead of being squeezed into one-word table columns.
"""

from __future__ import annotations

from rich.console import Console

from rotascope.records import Analysis, Opinion
from rotascope.report.calibview import calibration_lines
from rotascope.report.riskdesk import risk_rows
from rotascope.report.termkit import (
    DISCLAIMER,
    bullets,
    evidence_threshold,
    evidence_value,
    narrow,
    para,
    show,
    table,
)

TOP_CLAIMS = 4
"""Claims shown per agent, strongest (weight × strength) first."""
TOP_RISKS = 3


def _claims(o: Opinion) -> list[str]:
    """The agent's strongest claims as '(bull) Holds: … — name +7.57 % (meets >= +1.00 %)'."""
    ranked = sorted(o.claims, key=lambda c: (-c.weight * c.strength, c.id))[:TOP_CLAIMS]
    return [f"({c.direction[:4]}) {c.text}" for c in ranked] or ([o.data_note] if o.data_note else [])


def render_opinions(a: Analysis, console: Console) -> None:
    """The numbers table, then per agent its lens, key claims and risks as wrapped bullets."""
    wide = not narrow(console)
    ot = table(console, "Agent opinions (before → after debate)")
    cols = (
        ("agent", "lens", "stance", "score", "confidence") if wide else ("agent", "stance", "score", "conf.")
    )
    for col in cols:
        ot.add_column(col, no_wrap=col != "lens")
    final = {o.agent: o for o in a.debate.final}
    for o in a.opinions:
        f = final[o.agent]
        row = [
            o.agent,
            f"{o.stance} → {f.stance}",
            f"{o.score:+.2f} → {f.score:+.2f}",
            f"{o.confidence:.2f} → {f.confidence:.2f}",
        ]
        ot.add_row(*([*row[:1], o.lens, *row[1:]] if wide else row))
    show(console, ot)
    for o in a.opinions:
        para(console, f"{o.agent} — {o.lens}", "bold")
        bullets(console, _claims(o))
        bullets(console, o.risks[:TOP_RISKS], marker="risk:")


def render_debate(a: Analysis, console: Console) -> None:
    """Each challenge as 'challenger → agent: claim', its counter-evidence and the answer."""
    for rd in a.debate.rounds:
        if not rd.challenges:
            continue
        para(console, f"Debate round {rd.round}", "italic")
        answers = {(x.claim_id, x.challenger): x for x in rd.answers}
        for ch in rd.challenges:
            ans = answers[(ch.claim_id, ch.by)]
            e = ch.counter_evidence[0]
            para(console, f"  {ch.by} challenges {ch.to_agent}: {ch.claim_id.split('.', 1)[1]}")
            bullets(
                console,
                [
                    f"counter-evidence: {e.name} {evidence_value(e)} ({evidence_threshold(e)})",
                    f"{ans.outcome}: {ans.argument}",
                ],
                indent=4,
            )


def render_analysis(a: Analysis, console: Console) -> None:
    """Print an analysis: opinions, debate transcript, decision with scenarios and risk controls."""
    d = a.decision
    para(
        console,
        f"rotascope {a.kind} analysis {a.id} — {a.subject} — as of {a.as_of} (data {a.data_fingerprint})",
        "bold",
    )
    if a.ladder_reached is not None:
        para(
            console,
            f"Evidence ladder: level {a.ladder_reached} of 5; killers triggered: "
            f"{', '.join(a.killers_triggered) or 'none'}",
        )
    render_opinions(a, console)
    render_debate(a, console)
    st = table(
        console,
        f"Decision: {d.stance} — direction: {d.direction} — mode: {d.mode} — "
        f"conviction {d.conviction:+.2f} — satellite tilt {d.tilt:+.1%} of equity",
    )
    st.add_column("scenario")
    st.add_column("probability" if not narrow(console) else "prob.", no_wrap=True, justify="right")
    st.add_column("what has to be true")
    for s in d.scenarios:
        prob = f"{s.probability:.0%}" + (f"\nbase {s.base_rate:.0%}" if s.base_rate is not None else "")
        record = [f"record: {s.track_record.text}"] if s.track_record is not None else []
        what = ([f"outcome: {s.outcome}"] if s.outcome else []) + record + s.requires
        st.add_row(f"{s.name}: {s.summary}", prob, "\n".join(what))
    show(console, st)
    lines = calibration_lines(d)  # where the probabilities came from and what they earned out of sample
    if lines:
        para(console, " ".join(lines))
    if d.risk is not None:
        rt = table(console, "Risk controls")
        rt.add_column("item")
        rt.add_column("value")
        for item, text in risk_rows(d.risk):
            rt.add_row(item, text)
        show(console, rt)
    para(console, "Why:", "bold")
    bullets(console, d.rationale)
    para(console, DISCLAIMER, "italic")
