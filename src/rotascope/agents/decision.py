"""The decision/risk agent: turns the calibrated call, the debated opinions and the ladder into a desk view.

The bull/base/bear probabilities are ALWAYS measured frequencies of defined outcomes: a calibrated call
(the universe's walk-forward, issue #11; the cross-section's for a Russell 2000 member) or, where there
is none, the subject's base rates with the sentence why (``calibration.single``). The agents' evidence
score (``vector.conviction``: the confidence-weighted consensus with the ladder and the killers) is a
replay signal, an input of the calibrator and a tie-break of the member ranking; it never becomes a
probability, a stance or a tilt here. The rule:

* P(bear), P(base), P(bull) = the call's probabilities, rounded to whole percents with the remainder on
  the base case; conviction = P(bull) - P(bear);
* expected relative return E = ``calibration.call.expected_relative_return`` (sum over outcomes of
  P(outcome) x the mean realised relative return of that outcome among labels known at the as-of);
* stance: no tilt when the evidence has no measured edge (model weight 0: the probabilities are the base
  rates); else tilt toward when E > the round-trip cost and P(bull) > P(bear), away when E < -cost and
  P(bear) > P(bull); otherwise no tilt;
* mode: 'allocate' for a tilt toward with the ladder at 4+ and IWM/SPY up in >= 60 % of the last 13 weeks,
  'trade' for any other tilt, 'stand aside' without one;
* tilt = sign(E) x max_tilt x min(1, |E| / band) x (the vol-targeted weight, <= 1).

The rule decides a DIRECTION first ('toward' the subject, 'away' from it, or 'none'); the stance sentence
("tilt toward small caps", "no tilt: <reason>") and the mode are generated from it, and the tilt is sized
from a strength of the same sign, so the words cannot contradict the tilt.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from rotascope._typing import Float64Array
from rotascope.agents.base import describe
from rotascope.agents.vector import MAX_TILT
from rotascope.records import (
    Calibration,
    Claim,
    Killer,
    Ladder,
    Mode,
    Opinion,
    Scenario,
    TiltDirection,
    rnd,
)

MEGA_CAPS = "mega caps re-take leadership"
"""The universe's bear case: who leads when small caps relapse."""

LENS_CLAIMS = (
    "internals.quality_led",
    "fundamentals.profitability_dispersion",
    "fundamentals.valuation",
    "fundamentals.junk_financing",
)
"""Claims on the factor and fundamental lenses (issue #16) that the scenarios' "requires" quote."""


Num = float | npt.NDArray[np.floating[Any]]
"""A scalar or an array: the tilt kernel serves one call and a whole walk-forward."""


def lens_requirements(claims: list[Claim]) -> tuple[list[str], list[str]]:
    """(bull, bear) requirement lines from the lens claims, worded from their evidence values.

    The bull case needs each lens to hold (the junk-financing lens NOT to hold); the bear case is the
    reverse. A lens without data says so ("no data") instead of a requirement that cannot be checked.
    """
    bull: list[str] = []
    bear: list[str] = []
    for c in sorted((c for c in claims if c.id in LENS_CLAIMS), key=lambda c: LENS_CLAIMS.index(c.id)):
        numbers = "; ".join(describe(e) for e in c.evidence)
        thesis = c.text.split(": ", 1)[-1].split(" — ", 1)[0]
        if c.direction == "neutral":
            bull.append(f"lens not measurable at this date: {thesis} ({numbers})")
            continue
        holds_now = c.direction == "bullish"  # the verb follows what the numbers say today
        if c.id == "fundamentals.junk_financing":
            if holds_now:  # no junk-led rally into tightening financing today
                bull.append(f"no junk-led rally into tightening financing starts — now {numbers}")
                bear.append(f"a junk-led rally into tightening financing starts — now {numbers}")
            else:
                bull.append(f"the junk-led rally into tightening financing ends — now {numbers}")
                bear.append(f"the junk-led rally into tightening financing goes on — now {numbers}")
        elif holds_now:
            bull.append(f"{thesis} keeps holding — now {numbers}")
            bear.append(f"{thesis} stops holding — now {numbers}")
        else:
            bull.append(f"{thesis} starts to hold — now {numbers}")
            bear.append(f"{thesis} keeps failing — now {numbers}")
    return bull, bear


def agree(subject: str, singular: str, plural: str) -> str:
    """The verb form that agrees with ``subject``: a ticker (KRE, AAPL) is singular, a lower-case plural
    noun ("small caps") plural."""
    return plural if subject.endswith("s") and not subject.isupper() else singular


def scenarios(
    subject: str,
    ladder: Ladder | None,
    killers: list[Killer],
    probs: tuple[float, float, float],
    invalidation: list[str],
    lens_claims: list[Claim] | None = None,
    rival: str = "",
) -> list[Scenario]:
    """Bull/base/bear with what each needs to be true (the lenses' lines from ``lens_claims``; ``rival``:
    who takes the lead in the bear case, mega caps for the universe)."""
    lens_bull, lens_bear = lens_requirements(lens_claims or [])
    bull, base, bear = probs
    reached = ladder.reached if ladder else 0
    nxt = next((lvl for lvl in ladder.levels if not lvl.passed), None) if ladder else None
    quiet = [k.name.lower() for k in killers if not k.triggered]
    fired = [k.name.lower() for k in killers if k.triggered]
    bull_req = [
        f"{subject} {agree(subject, 'keeps', 'keep')} leading: the ladder holds level {reached}"
        + (f" and climbs to level {nxt.level} ({nxt.name.lower()})" if nxt else " with all five levels")
    ]
    bull_req.append("no rotation killer triggers (" + ", ".join(quiet or ["none left quiet"]) + ")")
    bull_req += lens_bull
    base_req = [
        f"the relative trend chops inside its recent range; the ladder stays near level {reached}",
        "rates and credit stay roughly where they are",
    ]
    bear_req = [
        "a rotation killer triggers or persists (" + ", ".join(fired or quiet[:2] or ["any"]) + ")",
        *(f"invalidation: {x}" for x in invalidation[:3]),
        *lens_bear,
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
            summary=f"{subject} relapse; {rival or MEGA_CAPS}",
            requires=bear_req,
        ),
    ]


class DeskCall(NamedTuple):
    """What a decision rule decides: the direction, the stance sentence generated from it, the mode, and
    the signed strength the tilt is sized from (conviction, or the calibrated strength)."""

    direction: TiltDirection
    stance: str
    mode: Mode
    strength: float


def stance_sentence(direction: TiltDirection, subject: str, reason: str) -> str:
    """The stance in words, generated from the direction; ``reason`` says why when there is no tilt."""
    if direction == "toward":
        return f"tilt toward {subject}"
    if direction == "away":
        return f"tilt away from {subject}"
    return f"no tilt: {reason}"


def desk_call(
    direction: TiltDirection, structural: bool, strength: float, subject: str, reason: str
) -> DeskCall:
    """The call for a direction: mode 'allocate' only for a structural tilt toward, 'trade' for any other
    tilt, 'stand aside' (strength 0) without one."""
    if direction == "none":
        return DeskCall("none", stance_sentence("none", subject, reason), "stand aside", 0.0)
    mode: Mode = "allocate" if direction == "toward" and structural else "trade"
    return DeskCall(direction, stance_sentence(direction, subject, reason), mode, strength)


def rationale(opinions: list[Opinion], reached: int | None, fired: list[str], as_of: date) -> list[str]:
    lines = [
        f"as of {as_of} the evidence ladder is at level {reached} of 5"
        if reached is not None
        else f"as of {as_of}"
    ]
    for o in opinions:  # the strongest claim on the agent's side (any side when it is neutral)
        side = [c for c in o.claims if c.direction == o.stance] or o.claims
        top = max(side, key=lambda c: (c.weight * c.strength, c.id), default=None)
        lines.append(
            f"{o.agent}: {o.stance} (score {o.score:+.2f}, confidence {o.confidence:.2f})"
            + (f" — strongest [{top.direction}]: {top.text}" if top else f" — {o.data_note}")
        )
    if fired:
        lines.append("killers triggered: " + ", ".join(fired))
    return lines


# ------------------------------------------------------------------ calibrated desk view (issue #11)
def calibrated_probabilities(cal: Calibration) -> tuple[float, float, float]:
    """(bull, base, bear) from the calibrated call, whole percents, remainder on the base case."""
    bear, _, bull = cal.probabilities
    b, r = round(bull, 2), round(bear, 2)
    return b, round(1.0 - b - r, 2), r


def calibrated_stance(
    cal: Calibration, reached: int, persistence_13w: float | None, subject: str
) -> DeskCall:
    """The calibrated rule (module docstring); strength is the signed tilt strength in [-1, 1]."""
    bear, _, bull = cal.probabilities
    cost = cal.round_trip_cost
    e = cal.expected_relative_return
    structural = reached >= 4 and (persistence_13w or 0.0) >= 0.6
    if cal.model_weight <= 0:
        reason = f"the evidence on {subject} has had no measurable edge; the probabilities are the base rates"
        return desk_call("none", structural, 0.0, subject, reason)
    strength = float(tilt_strength(e, cal.band, bull, bear, cal.model_weight, cost))
    if e > cost and bull > bear:
        return desk_call("toward", structural, strength, subject, "")
    if e < -cost and bear > bull:
        return desk_call("away", structural, strength, subject, "")
    if abs(e) <= cost:
        reason = f"expected relative return {e:+.2%} does not clear the {cost:.2%} round-trip cost"
    else:  # the expected return clears the cost but the outcome probabilities lean the other way
        reason = (
            f"expected relative return {e:+.2%} clears the {cost:.2%} cost but P(bull) {bull:.0%} vs "
            f"P(bear) {bear:.0%} points the other way"
        )
    return desk_call("none", structural, 0.0, subject, reason)


def tilt_strength(e: Num, band: Num, bull: Num, bear: Num, weight: Num, cost: float) -> Float64Array:
    """The calibrated rule's signed strength, for one call or a whole walk-forward alike (the one kernel of
    the analysis and of backtest strategy 3): sign(E) x min(1, |E| / band) where the desk tilts (the model
    has weight, E clears the cost and the probabilities lean its way), else 0."""
    e, band = np.asarray(e, dtype=np.float64), np.asarray(band, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = np.where(band > 0, np.sign(e) * np.minimum(1.0, np.abs(e) / band), 0.0)
    toward = (e > cost) & (np.asarray(bull) > bear)
    away = (e < -cost) & (np.asarray(bear) > bull)
    return np.asarray(np.where((np.asarray(weight) > 0) & np.isfinite(band) & (toward | away), strength, 0.0))


def tilt_size(strength: Num, vol_weight: Num) -> Float64Array:
    """MAX_TILT x strength x min(1, vol-targeted weight), unrounded; a missing weight (NaN) sizes without."""
    scale = np.nan_to_num(np.minimum(1.0, np.asarray(vol_weight, dtype=np.float64)), nan=1.0)
    return np.asarray(MAX_TILT * np.asarray(strength, dtype=np.float64) * scale)


def calibrated_tilt(strength: float, vol_weight: float | None) -> float:
    """The analysis' tilt, fraction of equity rounded to 4 decimals (the kernel of :func:`tilt_size`)."""
    return rnd(float(tilt_size(strength, np.nan if vol_weight is None else vol_weight)), 4) or 0.0


def with_outcomes(items: list[Scenario], cal: Calibration) -> list[Scenario]:
    """Attach each scenario's measurable event, horizon, band, base rate and track record."""
    order = {"bear": 0, "base": 1, "bull": 2}
    out = []
    for s in items:
        k = order[s.name]
        out.append(
            s.model_copy(
                update={
                    "outcome": cal.outcomes[k],
                    "horizon_weeks": cal.horizon_weeks,
                    "band": cal.band,
                    "base_rate": cal.base_rates[k],
                    "track_record": cal.track_records[k],
                }
            )
        )
    return out
