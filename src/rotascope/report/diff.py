"""Run-to-run diff of two stored analyses: what changed between A (earlier) and B (later), in numbers.

The one diff model: ``rotascope diff A B`` (table or ``-f json``), ``GET /api/diff?a=A&b=B`` and the
dashboard's history page all show this record, so the CLI and the web can never disagree.

Why: the weekly question is not only "is it rotating?" but "is it rotating *more* than last week?". A
diff of two Analysis records answers that from what each stored, with no data access (pure function):

* ladder level, decision stance/direction/mode/conviction/tilt, scenario probabilities;
* each agent's final (post-debate) stance, score and confidence;
* each evidence value or pass/fail verdict that changed, matched by claim id + evidence name across the
  agents' opinions of both runs (evidence present on one side only is listed with the other side empty),
  with the agent, source and the as-of of each side;
* rotation killers that flipped (fired or cleared);
* a one-paragraph verdict, "week over week, is the rotation broadening?", computed from those numbers
  by the documented vote in ``verdict``.
"""

from __future__ import annotations

from datetime import date

from rotascope.records import Analysis, Evidence, Record, rnd

BREADTH_WORDS = ("breadth", "above", "a/d", "advance", "mcclellan", "new 52-week", "equal", "rsp/", "top-10")
"""Evidence whose name contains one of these measures participation (how broad the move is)."""


class NumberChange(Record):
    """A number in A and in B, and B − A (None when either side is missing)."""

    name: str
    old: float | None
    new: float | None
    delta: float | None


class TextChange(Record):
    """A label in A and in B, and whether it changed."""

    name: str
    old: str
    new: str
    changed: bool


class AgentChange(Record):
    """One agent's final (post-debate) view in A and in B."""

    agent: str
    stance: TextChange
    score: NumberChange
    confidence: NumberChange


class EvidenceChange(Record):
    """An evidence value or verdict that moved between the runs (matched by claim id + evidence name)."""

    agent: str
    claim_id: str
    name: str
    unit: str
    old: float | None
    new: float | None
    delta: float | None
    passed_old: bool | None
    passed_new: bool | None
    as_of_old: date | None
    as_of_new: date | None
    source: str


class KillerFlip(Record):
    """A rotation killer whose triggered state differs between the runs."""

    key: str
    old: bool
    new: bool
    change: str
    """'fired' (quiet in A, triggered in B) or 'cleared'."""


class AnalysisDiff(Record):
    """Everything that changed from analysis A to analysis B, and the broadening verdict."""

    a_id: str
    b_id: str
    a_as_of: date
    b_as_of: date
    kind: str
    subject: TextChange
    same_data: bool
    same_config: bool
    ladder: NumberChange
    stance: TextChange
    direction: TextChange
    mode: TextChange
    conviction: NumberChange
    tilt: NumberChange
    scenarios: list[NumberChange]
    agents: list[AgentChange]
    evidence: list[EvidenceChange]
    evidence_compared: int
    """How many evidence items were compared (matched in both runs or present in one)."""
    killers: list[KillerFlip]
    bullish_claims: NumberChange
    """Number of claims pointing bullish in A and in B (initial opinions)."""
    evidence_passing: NumberChange
    """Number of evidence items passing their threshold in A and in B (matched or not)."""
    broadening: str
    """'broadening', 'narrowing' or 'no clear change'."""
    verdict: str


def _num(name: str, old: float | None, new: float | None) -> NumberChange:
    delta = None if old is None or new is None else rnd(new - old)
    return NumberChange(name=name, old=old, new=new, delta=delta)


def _text(name: str, old: str, new: str) -> TextChange:
    return TextChange(name=name, old=old, new=new, changed=old != new)


def _evidence(a: Analysis) -> dict[tuple[str, str], tuple[str, Evidence]]:
    """(claim id, evidence name) → (agent, evidence) over the agents' opinions, first occurrence kept."""
    out: dict[tuple[str, str], tuple[str, Evidence]] = {}
    for o in a.opinions:
        for c in o.claims:
            for e in c.evidence:
                out.setdefault((c.id, e.name), (o.agent, e))
    return out


def _sign(x: float | None, eps: float = 1e-9) -> int:
    if x is None or abs(x) <= eps:
        return 0
    return 1 if x > 0 else -1


def _scenario_changes(a: Analysis, b: Analysis) -> list[NumberChange]:
    """Each scenario's probability in ``a`` and ``b``, in ``a``'s order then ``b``'s new ones."""
    da, db = a.decision, b.decision
    scen_a = {s.name: s.probability for s in da.scenarios}
    scen_b = {s.name: s.probability for s in db.scenarios}
    names = [s.name for s in da.scenarios] + [s.name for s in db.scenarios if s.name not in scen_a]
    return [_num(n, scen_a.get(n), scen_b.get(n)) for n in names]


def _agent_changes(a: Analysis, b: Analysis) -> list[AgentChange]:
    """Each agent's final stance, score and confidence in ``a`` and ``b`` ("absent" where it did not run)."""
    fa = {o.agent: o for o in a.debate.final}
    fb = {o.agent: o for o in b.debate.final}
    agents = []
    for name in [*fa, *(n for n in fb if n not in fa)]:
        oa, ob = fa.get(name), fb.get(name)
        agents.append(
            AgentChange(
                agent=name,
                stance=_text("stance", oa.stance if oa else "absent", ob.stance if ob else "absent"),
                score=_num("score", oa.score if oa else None, ob.score if ob else None),
                confidence=_num("confidence", oa.confidence if oa else None, ob.confidence if ob else None),
            )
        )
    return agents


def _evidence_changes(
    ea: dict[tuple[str, str], tuple[str, Evidence]], eb: dict[tuple[str, str], tuple[str, Evidence]]
) -> tuple[list[EvidenceChange], int]:
    """The evidence items whose value or pass/fail moved (or that one side lacks), and how many were
    compared."""
    evidence: list[EvidenceChange] = []
    keys = [*ea, *(k for k in eb if k not in ea)]
    for key in keys:
        pa, pb = ea.get(key), eb.get(key)
        xa, xb = (pa[1] if pa else None), (pb[1] if pb else None)
        known = pb if pb is not None else pa
        assert known is not None  # the key came from one of the two sides
        agent, ref = known
        va = xa.value if xa else None
        vb = xb.value if xb else None
        if xa is not None and xb is not None and va == vb and xa.passed == xb.passed:
            continue
        evidence.append(
            EvidenceChange(
                agent=agent,
                claim_id=key[0],
                name=key[1],
                unit=ref.unit,
                old=va,
                new=vb,
                delta=None if va is None or vb is None else rnd(vb - va),
                passed_old=xa.passed if xa else None,
                passed_new=xb.passed if xb else None,
                as_of_old=xa.as_of if xa else None,
                as_of_new=xb.as_of if xb else None,
                source=ref.source,
            )
        )
    return evidence, len(keys)


def _killer_flips(a: Analysis, b: Analysis) -> list[KillerFlip]:
    """The killers that fired or cleared between ``a`` and ``b``, by key."""
    ka, kb = set(a.killers_triggered), set(b.killers_triggered)
    return [
        KillerFlip(key=k, old=k in ka, new=k in kb, change="fired" if k in kb else "cleared")
        for k in sorted(ka ^ kb)
    ]


def diff_analyses(a: Analysis, b: Analysis) -> AnalysisDiff:
    """What changed from ``a`` to ``b`` (pass the earlier run first)."""
    da, db = a.decision, b.decision
    ea, eb = _evidence(a), _evidence(b)
    evidence, compared = _evidence_changes(ea, eb)
    bull_a = sum(c.direction == "bullish" for o in a.opinions for c in o.claims)
    bull_b = sum(c.direction == "bullish" for o in b.opinions for c in o.claims)
    pass_a = sum(bool(e.passed) for _, e in ea.values())
    pass_b = sum(bool(e.passed) for _, e in eb.values())

    ladder = _num(
        "ladder",
        None if a.ladder_reached is None else float(a.ladder_reached),
        None if b.ladder_reached is None else float(b.ladder_reached),
    )
    conviction = _num("conviction", da.conviction, db.conviction)
    partial = AnalysisDiff(
        a_id=a.id,
        b_id=b.id,
        a_as_of=a.as_of,
        b_as_of=b.as_of,
        kind=a.kind if a.kind == b.kind else f"{a.kind} → {b.kind}",
        subject=_text("subject", a.subject, b.subject),
        same_data=a.data_fingerprint == b.data_fingerprint,
        same_config=a.config_hash == b.config_hash,
        ladder=ladder,
        stance=_text("stance", da.stance, db.stance),
        direction=_text("direction", da.direction, db.direction),
        mode=_text("mode", da.mode, db.mode),
        conviction=conviction,
        tilt=_num("tilt", da.tilt, db.tilt),
        scenarios=_scenario_changes(a, b),
        agents=_agent_changes(a, b),
        evidence=evidence,
        evidence_compared=compared,
        killers=_killer_flips(a, b),
        bullish_claims=_num("bullish claims", float(bull_a), float(bull_b)),
        evidence_passing=_num("evidence passing", float(pass_a), float(pass_b)),
        broadening="",
        verdict="",
    )
    label, text = verdict(partial)
    return partial.model_copy(update={"broadening": label, "verdict": text})


def _is_breadth(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in BREADTH_WORDS)


def verdict(d: AnalysisDiff) -> tuple[str, str]:
    """The broadening vote, from the diff's numbers only.

    Each of these casts +1 (broader), -1 (narrower) or 0: the ladder level; the count of bullish
    claims; the count of passing evidence; the net count of breadth evidence (names in
    ``BREADTH_WORDS``) that newly passed minus newly failed, or else the net direction of their value
    moves when none flipped; P(bull); and each killer that fired counts -1, each that cleared +1.
    A total of >= +2 with no killer newly fired is 'broadening'; <= -2 is 'narrowing'; anything else is
    'no clear change'.
    """
    breadth = [e for e in d.evidence if _is_breadth(e.name)]
    newly_pass = sum(1 for e in breadth if e.passed_new is True and e.passed_old is not True)
    newly_fail = sum(1 for e in breadth if e.passed_old is True and e.passed_new is not True)
    if newly_pass or newly_fail:
        breadth_vote = _sign(float(newly_pass - newly_fail))
    else:
        # without a pass/fail flip, whether the value moved toward passing: +, or away from it: -
        breadth_vote = _sign(float(sum(_sign(e.delta) * (1 if e.passed_new else -1) for e in breadth)))
    bull = next((s for s in d.scenarios if s.name == "bull"), None)
    fired = [k.key for k in d.killers if k.change == "fired"]
    cleared = [k.key for k in d.killers if k.change == "cleared"]
    votes = {
        "ladder": _sign(d.ladder.delta),
        "bullish claims": _sign(d.bullish_claims.delta),
        "evidence passing": _sign(d.evidence_passing.delta),
        "breadth evidence": breadth_vote,
        "P(bull)": _sign(bull.delta if bull else None),
    }
    total = sum(votes.values()) + len(cleared) - len(fired)
    if total >= 2 and not fired:
        label = "broadening"
    elif total <= -2:
        label = "narrowing"
    else:
        label = "no clear change"

    def n(x: float | None) -> str:
        return "n/a" if x is None else f"{x:g}"

    parts = [
        f"Week over week ({d.a_as_of} → {d.b_as_of}), the rotation is {label.upper()}"
        f" (vote {total:+d}: "
        + ", ".join(f"{k} {v:+d}" for k, v in votes.items())
        + (f", killers {len(cleared) - len(fired):+d}" if fired or cleared else "")
        + ").",
        f"The evidence ladder went from level {n(d.ladder.old)} to {n(d.ladder.new)};",
        f"bullish claims {n(d.bullish_claims.old)} → {n(d.bullish_claims.new)},",
        f"evidence passing {n(d.evidence_passing.old)} → {n(d.evidence_passing.new)};",
        f"breadth measures: {newly_pass} newly passing, {newly_fail} newly failing, "
        f"{len(breadth)} changed in all.",
    ]
    if bull is not None:
        parts.append(f"P(bull) {n(bull.old)} → {n(bull.new)};")
    parts.append(
        f"conviction {n(d.conviction.old)} → {n(d.conviction.new)}"
        + (f", stance now '{d.stance.new}'" if d.stance.changed else ", stance unchanged")
        + "."
    )
    if fired:
        parts.append("Killers newly fired: " + ", ".join(fired) + ".")
    if cleared:
        parts.append("Killers cleared: " + ", ".join(cleared) + ".")
    if not d.same_data:
        parts.append("The runs used different data snapshots.")
    if not d.same_config:
        parts.append("The runs used different settings/thresholds: some change may come from the config.")
    return label, " ".join(parts)
