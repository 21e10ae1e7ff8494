"""Run-to-run diff of two stored analyses: what moved between run A and run B, and by how much.

A pure function over two :class:`~rotascope.records.Analysis` records (no I/O), so the web API, a report
or a test can all show the same diff. It compares the ladder level, the decision (stance, mode,
conviction, tilt, scenario probabilities), the triggered rotation killers, each agent's final (post-debate)
score/stance/confidence, and every piece of evidence whose value or pass/fail verdict changed. Evidence is
matched by (agent, claim id, evidence name); evidence present in only one run is listed with the other
side empty, so nothing disappears silently.
"""

from __future__ import annotations

from datetime import date

from rotascope.records import Analysis, Evidence, Opinion, Record, rnd


class ScenarioChange(Record):
    """One scenario's probability in run A and run B."""

    name: str
    a: float | None
    b: float | None
    change: float | None


class AgentChange(Record):
    """One agent's final (post-debate) view in run A and run B."""

    agent: str
    stance_a: str | None
    stance_b: str | None
    score_a: float | None
    score_b: float | None
    score_change: float | None
    confidence_a: float | None
    confidence_b: float | None
    stance_changed: bool


class EvidenceChange(Record):
    """A piece of evidence whose value or verdict differs between the runs (None = absent/unknown)."""

    agent: str
    claim_id: str
    name: str
    unit: str
    value_a: float | None
    value_b: float | None
    change: float | None
    passed_a: bool | None
    passed_b: bool | None
    as_of_a: date | None
    as_of_b: date | None
    source: str


class AnalysisDiff(Record):
    """Everything that moved from analysis A to analysis B."""

    a_id: str
    b_id: str
    a_as_of: date
    b_as_of: date
    kind_a: str
    kind_b: str
    subject_a: str
    subject_b: str
    same_subject: bool
    same_config: bool
    same_data: bool
    ladder_a: int | None
    ladder_b: int | None
    ladder_change: int | None
    stance_a: str
    stance_b: str
    stance_changed: bool
    mode_a: str
    mode_b: str
    conviction_a: float
    conviction_b: float
    conviction_change: float | None
    tilt_a: float
    tilt_b: float
    scenarios: list[ScenarioChange]
    killers_added: list[str]
    killers_removed: list[str]
    agents: list[AgentChange]
    evidence: list[EvidenceChange]
    evidence_compared: int
    """How many evidence items were compared (matched in both runs or present in one)."""


def _sub(b: float | None, a: float | None) -> float | None:
    return None if a is None or b is None else rnd(b - a)


def _evidence_of(opinions: list[Opinion]) -> dict[tuple[str, str, str], Evidence]:
    out: dict[tuple[str, str, str], Evidence] = {}
    for o in opinions:
        for c in o.claims:
            for e in c.evidence:
                out.setdefault((o.agent, c.id, e.name), e)
    return out


def _changed(a: Evidence | None, b: Evidence | None) -> bool:
    if a is None or b is None:
        return True
    return a.value != b.value or a.passed != b.passed


def diff_analyses(a: Analysis, b: Analysis) -> AnalysisDiff:
    """Compare run ``a`` (before) with run ``b`` (after); changes are ``b - a``."""
    probs_a = {s.name: s.probability for s in a.decision.scenarios}
    probs_b = {s.name: s.probability for s in b.decision.scenarios}
    names = [s.name for s in a.decision.scenarios] + [n for n in probs_b if n not in probs_a]
    scenarios = [
        ScenarioChange(
            name=n, a=probs_a.get(n), b=probs_b.get(n), change=_sub(probs_b.get(n), probs_a.get(n))
        )
        for n in names
    ]
    final_a = {o.agent: o for o in a.debate.final}
    final_b = {o.agent: o for o in b.debate.final}
    agent_names = list(final_a) + [n for n in final_b if n not in final_a]
    agents = []
    for name in agent_names:
        oa, ob = final_a.get(name), final_b.get(name)
        agents.append(
            AgentChange(
                agent=name,
                stance_a=oa.stance if oa else None,
                stance_b=ob.stance if ob else None,
                score_a=oa.score if oa else None,
                score_b=ob.score if ob else None,
                score_change=_sub(ob.score if ob else None, oa.score if oa else None),
                confidence_a=oa.confidence if oa else None,
                confidence_b=ob.confidence if ob else None,
                stance_changed=(oa.stance if oa else None) != (ob.stance if ob else None),
            )
        )
    ev_a, ev_b = _evidence_of(a.debate.final), _evidence_of(b.debate.final)
    keys = list(ev_a) + [k for k in ev_b if k not in ev_a]
    evidence = []
    for key in keys:
        ea, eb = ev_a.get(key), ev_b.get(key)
        if not _changed(ea, eb):
            continue
        ref = eb or ea
        assert ref is not None  # a key comes from at least one side
        evidence.append(
            EvidenceChange(
                agent=key[0],
                claim_id=key[1],
                name=key[2],
                unit=ref.unit,
                value_a=ea.value if ea else None,
                value_b=eb.value if eb else None,
                change=_sub(eb.value if eb else None, ea.value if ea else None),
                passed_a=ea.passed if ea else None,
                passed_b=eb.passed if eb else None,
                as_of_a=ea.as_of if ea else None,
                as_of_b=eb.as_of if eb else None,
                source=ref.source,
            )
        )
    ladder_change = (
        None if a.ladder_reached is None or b.ladder_reached is None else b.ladder_reached - a.ladder_reached
    )
    return AnalysisDiff(
        a_id=a.id,
        b_id=b.id,
        a_as_of=a.as_of,
        b_as_of=b.as_of,
        kind_a=a.kind,
        kind_b=b.kind,
        subject_a=a.subject,
        subject_b=b.subject,
        same_subject=(a.kind, a.subject) == (b.kind, b.subject),
        same_config=a.config_hash == b.config_hash,
        same_data=a.data_fingerprint == b.data_fingerprint,
        ladder_a=a.ladder_reached,
        ladder_b=b.ladder_reached,
        ladder_change=ladder_change,
        stance_a=a.decision.stance,
        stance_b=b.decision.stance,
        stance_changed=a.decision.stance != b.decision.stance,
        mode_a=a.decision.mode,
        mode_b=b.decision.mode,
        conviction_a=a.decision.conviction,
        conviction_b=b.decision.conviction,
        conviction_change=_sub(b.decision.conviction, a.decision.conviction),
        tilt_a=a.decision.tilt,
        tilt_b=b.decision.tilt,
        scenarios=scenarios,
        killers_added=[k for k in b.killers_triggered if k not in a.killers_triggered],
        killers_removed=[k for k in a.killers_triggered if k not in b.killers_triggered],
        agents=agents,
        evidence=evidence,
        evidence_compared=len(keys),
    )
