"""The debate: agents challenge each other's claims with contrary evidence and answer the challenges.

Rules (explicit, deterministic; the transcript records which rule moved which confidence):

* **Who challenges what.** Agent A challenges a claim *c* of agent B when *c* points one way (bullish or
  bearish), carries weight >= 0.5, and A holds a claim *d* pointing the other way, on a related topic
  (``RELATED``: e.g. credit and quality may dispute a breadth claim, leadership and growth a rates
  claim), with weight >= 0.4 and strength >= 0.3 — A's own data contradicts B. A uses its most powerful
  such *d* (power = weight x strength) and makes at most ``MAX_CHALLENGES`` challenges per round, the
  most powerful first.
* **Answer.** B rebuts when power(c) >= power(d) (its evidence clears its threshold at least as clearly),
  and concedes otherwise.
* **Confidence.** C1 concede: B's confidence x 0.85 and the conceded claim's weight is halved in B's
  final score. C2 rebut: the challenger loses 0.05 confidence (it overreached), B gains 0.03 (cap 1).
* **Round 2.** Each challenge rebutted in round 1 may be pressed once with the challenger's next most
  powerful contrary claim (a different one); same answer and confidence rules.
* **Final opinions.** Scores are recomputed with the adjusted claim weights; stance follows the score.
"""

from __future__ import annotations

from rotascope.agents.base import BEARISH, BULLISH, score_of, stance_of
from rotascope.records import Answer, Challenge, Claim, ConfidenceChange, Debate, DebateRound, Opinion, rnd

RELATED: dict[str, frozenset[str]] = {
    "leadership": frozenset({"credit", "quality", "rates", "breadth", "growth"}),
    "breadth": frozenset({"quality", "credit", "leadership"}),
    "rates": frozenset({"leadership", "growth", "credit"}),
    "credit": frozenset({"leadership", "breadth", "quality", "growth"}),
    "growth": frozenset({"credit", "rates", "leadership"}),
    "quality": frozenset({"breadth", "leadership", "credit"}),
    "risk": frozenset({"leadership", "breadth", "credit", "rates", "growth", "quality", "risk"}),
}
"""Topics whose evidence may challenge a claim on the key topic (a claim without topic: any)."""
MAX_CHALLENGES = 2
MIN_TARGET_WEIGHT = 0.5
MIN_COUNTER_WEIGHT = 0.4
MIN_COUNTER_STRENGTH = 0.3
CONCEDE_FACTOR = 0.85
OVERREACH_PENALTY = 0.05
REBUT_BONUS = 0.03


def power(c: Claim) -> float:
    return c.weight * c.strength


def _opposite(a: str, b: str) -> bool:
    return {a, b} == {BULLISH, BEARISH}


def _counters(challenger: Opinion, target: Claim, used: set[str]) -> list[Claim]:
    return sorted(
        (
            d
            for d in challenger.claims
            if _opposite(d.direction, target.direction)
            and d.weight >= MIN_COUNTER_WEIGHT
            and d.strength >= MIN_COUNTER_STRENGTH
            and d.id not in used
            and (not target.topic or d.topic in RELATED.get(target.topic, frozenset({d.topic})))
        ),
        key=lambda d: (-power(d), d.id),
    )


def _argument(challenger: str, target: Claim, counter: Claim) -> str:
    e = counter.evidence[0]
    return (
        f"{challenger} disputes '{target.text}' ({target.direction}): its own data points "
        f"{counter.direction} — {counter.text.lower()} "
        f"({e.name} = {e.value} vs {e.comparison} {e.threshold})."
    )


def _move(
    conf: dict[str, float], changes: list[ConfidenceChange], rnd_no: int, agent: str, after: float, rule: str
) -> None:
    """Set an agent's confidence and record the change with the rule that caused it."""
    changes.append(
        ConfidenceChange(
            round=rnd_no,
            agent=agent,
            before=rnd(conf[agent], 4) or 0.0,
            after=rnd(after, 4) or 0.0,
            rule=rule,
        )
    )
    conf[agent] = after


def run_debate(opinions: list[Opinion], rounds: int = 2) -> Debate:
    """Run the rounds and return the typed transcript with the final opinions."""
    conf = {o.agent: o.confidence for o in opinions}
    weights: dict[str, dict[str, float]] = {o.agent: {c.id: c.weight for c in o.claims} for o in opinions}
    by_agent = {o.agent: o for o in opinions}
    claim_by_id = {c.id: c for o in opinions for c in o.claims}
    transcript: list[DebateRound] = []
    pending: list[tuple[str, str, set[str]]] = []  # (challenger, claim id, counters used) to press in round 2
    for rnd_no in range(1, rounds + 1):
        challenges: list[Challenge] = []
        answers: list[Answer] = []
        changes: list[ConfidenceChange] = []

        plan: list[tuple[str, Claim, Claim]] = []
        if rnd_no == 1:
            for a in opinions:
                options = []
                for b in opinions:
                    if b.agent == a.agent:
                        continue
                    for c in b.claims:
                        if c.direction in (BULLISH, BEARISH) and c.weight >= MIN_TARGET_WEIGHT:
                            counters = _counters(a, c, set())
                            if counters:
                                options.append((c, counters[0]))
                options.sort(key=lambda x: (-power(x[1]), x[0].id))
                plan += [(a.agent, c, d) for c, d in options[:MAX_CHALLENGES]]
        else:
            for challenger, cid, used in pending:
                counters = _counters(by_agent[challenger], claim_by_id[cid], used)
                if counters:
                    plan.append((challenger, claim_by_id[cid], counters[0]))
            pending = []
        for challenger, target, counter in plan:
            defender = target.agent
            challenges.append(
                Challenge(
                    round=rnd_no,
                    by=challenger,
                    to_agent=defender,
                    claim_id=target.id,
                    argument=_argument(challenger, target, counter),
                    counter_claim_id=counter.id,
                    counter_evidence=counter.evidence,
                    strength=rnd(power(counter), 4) or 0.0,
                )
            )
            if power(target) >= power(counter):
                answers.append(
                    Answer(
                        round=rnd_no,
                        by=defender,
                        claim_id=target.id,
                        challenger=challenger,
                        outcome="rebutted",
                        argument=f"{defender} stands by '{target.text}': its evidence clears its "
                        f"threshold more clearly (power {power(target):.2f} vs "
                        f"{power(counter):.2f}).",
                        evidence=target.evidence,
                    )
                )
                _move(
                    conf,
                    changes,
                    rnd_no,
                    challenger,
                    max(0.0, conf[challenger] - OVERREACH_PENALTY),
                    "C2 overreach",
                )
                _move(conf, changes, rnd_no, defender, min(1.0, conf[defender] + REBUT_BONUS), "C2 rebutted")
                pending.append((challenger, target.id, {counter.id}))
            else:
                answers.append(
                    Answer(
                        round=rnd_no,
                        by=defender,
                        claim_id=target.id,
                        challenger=challenger,
                        outcome="conceded",
                        argument=f"{defender} concedes '{target.text}' is outweighed "
                        f"(power {power(target):.2f} vs {power(counter):.2f}); it counts "
                        "half in its final view.",
                        evidence=[],
                    )
                )
                _move(conf, changes, rnd_no, defender, conf[defender] * CONCEDE_FACTOR, "C1 concede")
                weights[defender][target.id] = weights[defender][target.id] / 2
        transcript.append(
            DebateRound(round=rnd_no, challenges=challenges, answers=answers, confidence_changes=changes)
        )
    final = []
    for o in opinions:
        s = score_of(o.claims, weights[o.agent])
        final.append(
            o.model_copy(
                update={
                    "score": rnd(s, 4) or 0.0,
                    "stance": stance_of(s),
                    "confidence": rnd(conf[o.agent], 4) or 0.0,
                }
            )
        )
    return Debate(rounds=transcript, initial=opinions, final=final)
