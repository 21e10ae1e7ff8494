"""The debate: agents challenge each other's claims with contrary evidence and answer the challenges.

Rules (explicit, deterministic; the transcript records which rule moved which confidence; the numbers are
``[agents.debate]`` of ``thresholds.toml``, quoted here at their packaged values):

* **Who challenges what.** Agent A challenges a claim *c* of agent B when *c* points one way (bullish or
  bearish), carries weight >= 0.5, and A holds a claim *d* pointing the other way, on a related topic
  (``RELATED``: e.g. credit and quality may dispute a breadth claim, leadership and growth a rates
  claim), with weight >= 0.4 and strength >= 0.3 — A's own data contradicts B. A uses its most powerful
  such *d* (power = weight x strength) and makes at most ``max_challenges`` (2) challenges per round, the
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

import numpy as np

from rotascope.agents import vector
from rotascope.agents.base import claim_arrays, describe, stance_of, supporting
from rotascope.agents.vector import RELATED
from rotascope.records import Answer, Challenge, Claim, ConfidenceChange, Debate, DebateRound, Opinion, rnd
from rotascope.regime.thresholds import DebateRules

__all__ = [
    "RELATED",
    "claims_of",
    "power",
    "run_debate",
]


def power(c: Claim) -> float:
    return c.weight * c.strength


def claims_of(opinions: list[Opinion]) -> vector.Claims:
    """The opinions' claims as the one-row arrays the debate kernel plays on."""
    claims = [c for o in opinions for c in o.claims]
    if len({c.id for c in claims}) < len(claims):
        raise ValueError("claim ids must be unique within a debate")
    sign, strength, weight = claim_arrays(claims)
    index = {o.agent: i for i, o in enumerate(opinions)}
    return vector.Claims(
        agents=tuple(o.agent for o in opinions),
        ids=tuple(c.id for c in claims),
        agent_of=np.array([index[c.agent] for c in claims], dtype=np.int64),
        topics=tuple(c.topic for c in claims),
        weight=weight[0],
        sign=sign,
        strength=strength,
    )


def _argument(challenger: str, target: Claim, counter: Claim) -> str:
    """The challenge in words: the counter-claim, then its evidence quoted against the rule it meets."""
    return (
        f"{challenger} disputes '{target.text}' ({target.direction}): its own data points "
        f"{counter.direction} — {counter.text.split(' — ', 1)[0]} "
        f"({'; '.join(describe(e) for e in supporting(counter))})."
    )


def _change(rnd_no: int, agent: str, before: float, after: float, rule: str) -> ConfidenceChange:
    return ConfidenceChange(
        round=rnd_no, agent=agent, before=rnd(before, 4) or 0.0, after=rnd(after, 4) or 0.0, rule=rule
    )


def run_debate(opinions: list[Opinion], rules: DebateRules, rounds: int = 2) -> Debate:
    """Run the rounds (``vector.debate``, the kernel the replay plays on every week) and word the
    typed transcript with the final opinions."""
    table = claims_of(opinions)
    conf0 = np.array([[o.confidence for o in opinions]], dtype=np.float64).reshape(1, len(opinions))
    played = vector.debate(table, conf0, rules, rounds)
    claims = [c for o in opinions for c in o.claims]
    transcript: list[DebateRound] = []
    for rnd_no in range(1, rounds + 1):
        challenges: list[Challenge] = []
        answers: list[Answer] = []
        changes: list[ConfidenceChange] = []
        for m in (m for m in played.moves if m.round == rnd_no and m.active[0]):
            challenger = opinions[m.challenger].agent
            target, counter = claims[int(m.target[0])], claims[int(m.counter[0])]
            defender = target.agent
            d = table.agents.index(defender)
            before, after = m.conf_before[0], m.conf_after[0]
            challenges.append(
                Challenge(
                    round=rnd_no,
                    by=challenger,
                    to_agent=defender,
                    claim_id=target.id,
                    argument=_argument(challenger, target, counter),
                    counter_claim_id=counter.id,
                    counter_evidence=supporting(counter),
                    strength=rnd(power(counter), 4) or 0.0,
                )
            )
            if m.rebutted[0]:
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
                a = m.challenger
                changes.append(_change(rnd_no, challenger, before[a], after[a], "C2 overreach"))
                changes.append(_change(rnd_no, defender, before[d], after[d], "C2 rebutted"))
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
                changes.append(_change(rnd_no, defender, before[d], after[d], "C1 concede"))
        transcript.append(
            DebateRound(round=rnd_no, challenges=challenges, answers=answers, confidence_changes=changes)
        )
    scores, _ = table.opinion_scores(played.weights)
    final = [
        o.model_copy(
            update={
                "score": rnd(float(scores[0, i]), 4) or 0.0,
                "stance": stance_of(float(scores[0, i])),
                "confidence": rnd(float(played.confidence[0, i]), 4) or 0.0,
            }
        )
        for i, o in enumerate(opinions)
    ]
    return Debate(rounds=transcript, initial=opinions, final=final)
