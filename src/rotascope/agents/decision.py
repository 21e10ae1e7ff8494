"""The decision/risk agent: turns the debated opinions and the ladder into a desk view.

Arithmetic (documented, deterministic):

* consensus = confidence-weighted mean of the final agent scores (-1..1);
* s = clip(0.6 x consensus + 0.5 x (ladder_reached - 2.5) / 2.5 - 0.25 x killers_triggered, -1, 1);
* P(bull) = 0.30 + 0.35 s+ - 0.15 s-, P(bear) = 0.30 + 0.35 s- - 0.15 s+, P(base) = 1 - P(bull) - P(bear)
  (s+ = max(s, 0), s- = max(-s, 0)), rounded to whole percents with the remainder on the base case;
* conviction = P(bull) - P(bear); a tilt needs |conviction| > 0.15;
* mode: 'allocate' when the ladder reached level 4+ with IWM/SPY up in >= 60 % of the last 13 weeks and
  bullish conviction; 'trade' for any other tilt; 'stand aside' otherwise;
* tilt = sign x max_tilt x min(1, |conviction| / 0.5) x (the risk toolkit's vol-targeted weight, <= 1).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope.records import Killer, Ladder, Opinion, Scenario, rnd

TILT_BAND = 0.15
MAX_TILT = 0.10


def consensus(opinions: list[Opinion]) -> float:
    total = sum(o.confidence for o in opinions)
    return 0.0 if total <= 0 else float(sum(o.confidence * o.score for o in opinions) / total)


def scenario_probabilities(
    opinions: list[Opinion], reached: int, killers_fired: int
) -> tuple[float, float, float]:
    """(bull, base, bear) probabilities summing to exactly 1 at two decimals."""
    s = float(np.clip(0.6 * consensus(opinions) + 0.5 * (reached - 2.5) / 2.5 - 0.25 * killers_fired, -1, 1))
    up, down = max(s, 0.0), max(-s, 0.0)
    bull = round(0.30 + 0.35 * up - 0.15 * down, 2)
    bear = round(0.30 + 0.35 * down - 0.15 * up, 2)
    base = round(1.0 - bull - bear, 2)
    return bull, base, bear


def scenarios(
    subject: str,
    ladder: Ladder | None,
    killers: list[Killer],
    probs: tuple[float, float, float],
    invalidation: list[str],
) -> list[Scenario]:
    """Bull/base/bear with what each needs to be true."""
    bull, base, bear = probs
    reached = ladder.reached if ladder else 0
    nxt = next((lvl for lvl in ladder.levels if not lvl.passed), None) if ladder else None
    quiet = [k.name.lower() for k in killers if not k.triggered]
    fired = [k.name.lower() for k in killers if k.triggered]
    bull_req = [
        f"{subject} keeps leading: the ladder holds level {reached}"
        + (f" and climbs to level {nxt.level} ({nxt.name.lower()})" if nxt else " with all five levels")
    ]
    bull_req.append("no rotation killer triggers (" + ", ".join(quiet or ["none left quiet"]) + ")")
    base_req = [
        f"the relative trend chops inside its recent range; the ladder stays near level {reached}",
        "rates and credit stay roughly where they are",
    ]
    bear_req = [
        "a rotation killer triggers or persists (" + ", ".join(fired or quiet[:2] or ["any"]) + ")",
        *(f"invalidation: {x}" for x in invalidation[:3]),
    ]
    return [
        Scenario(
            name="bull",
            probability=bull,
            summary=f"{subject} leadership broadens and persists",
            requires=bull_req,
        ),
        Scenario(
            name="base",
            probability=base,
            summary="no durable rotation: leadership alternates",
            requires=base_req,
        ),
        Scenario(
            name="bear",
            probability=bear,
            summary=f"{subject} relapse; mega caps re-take leadership",
            requires=bear_req,
        ),
    ]


def stance_and_mode(
    conviction: float, reached: int, persistence_13w: float | None, subject: str
) -> tuple[str, str]:
    if conviction > TILT_BAND:
        stance = f"tilt toward {subject}"
    elif conviction < -TILT_BAND:
        stance = f"tilt away from {subject}"
    else:
        return f"no tilt: evidence on {subject} is balanced", "stand aside"
    structural = conviction > TILT_BAND and reached >= 4 and (persistence_13w or 0.0) >= 0.6
    return stance, "allocate" if structural else "trade"


def tilt_size(conviction: float, vol_weight: float | None) -> float:
    if abs(conviction) <= TILT_BAND:
        return 0.0
    scale = 1.0 if vol_weight is None else min(1.0, vol_weight)
    return rnd(float(np.sign(conviction)) * MAX_TILT * min(1.0, abs(conviction) / 0.5) * scale, 4) or 0.0


def rationale(opinions: list[Opinion], reached: int | None, fired: list[str], as_of: date) -> list[str]:
    lines = [
        f"as of {as_of} the evidence ladder is at level {reached} of 5"
        if reached is not None
        else f"as of {as_of}"
    ]
    for o in opinions:
        top = max(o.claims, key=lambda c: (c.weight * c.strength, c.id), default=None)
        lines.append(
            f"{o.agent}: {o.stance} (score {o.score:+.2f}, confidence {o.confidence:.2f})"
            + (f" — strongest [{top.direction}]: {top.text}" if top else f" — {o.data_note}")
        )
    if fired:
        lines.append("killers triggered: " + ", ".join(fired))
    return lines
