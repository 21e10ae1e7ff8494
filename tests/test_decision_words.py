"""The decision's sentences follow its numbers: the no-tilt reason and the lens "requires" lines."""

from __future__ import annotations

from datetime import date

from rotascope.agents import decision as dec
from rotascope.agents.base import claim
from rotascope.records import Calibration, Decision, Evidence


def call(e: float, bull: float, bear: float, weight: float = 0.5) -> Calibration:
    return Calibration.model_construct(
        probabilities=[bear, 1 - bull - bear, bull],
        expected_relative_return=e,
        round_trip_cost=0.002,
        model_weight=weight,
        band=0.04,
    )


def test_no_tilt_reason_matches_the_numbers() -> None:
    small = dec.calibrated_stance(call(0.001, 0.4, 0.3), 3, 0.5, "small caps")
    assert small.direction == "none" and "does not clear the 0.20% round-trip cost" in small.stance
    against = dec.calibrated_stance(call(0.008, 0.3, 0.4), 3, 0.5, "small caps").stance
    assert "clears the 0.20% cost" in against and "P(bull) 30% vs P(bear) 40%" in against
    assert "does not clear" not in against
    toward = dec.calibrated_stance(call(0.008, 0.4, 0.3), 3, 0.5, "small caps")
    assert toward == ("toward", "tilt toward small caps", "trade", 0.2)
    away = dec.calibrated_stance(call(-0.008, 0.3, 0.4), 5, 0.9, "small caps")
    assert away == ("away", "tilt away from small caps", "trade", -0.2)  # 'allocate' is for toward only
    assert dec.calibrated_stance(call(0.008, 0.4, 0.3, 0.0), 3, 0.5, "small caps")[1:3] == (
        "no tilt: the evidence on small caps has had no measurable edge; the probabilities are the "
        "base rates",
        "stand aside",
    )


def test_analyses_stored_before_the_direction_existed_read_it_from_their_stance() -> None:
    base = {"as_of": "2024-07-19", "subject": "small caps", "mode": "trade", "conviction": 0.2, "tilt": 0.01}
    for stance, way in (
        ("tilt toward small caps", "toward"),
        ("tilt away from small caps", "away"),
        ("no tilt: evidence on small caps is balanced", "none"),
    ):
        old = {**base, "stance": stance, "scenarios": [], "rationale": [], "risk": None}
        assert Decision.model_validate(old).direction == way
    new = {**base, "stance": "tilt toward small caps", "direction": "away"}  # never second-guessed
    assert (
        Decision.model_validate({**new, "scenarios": [], "rationale": [], "risk": None}).direction == "away"
    )


def ev(value: float) -> Evidence:
    return Evidence(
        name="Profitability factor (RMW) 3m return",
        value=value,
        threshold=-0.02,
        comparison=">=",
        passed=value >= -0.02,
        as_of=date(2024, 7, 19),
        source="test",
        unit="fraction",
    )


def test_lens_requirements_say_whether_the_lens_holds_now() -> None:
    thesis = "Small-cap leadership is not junk-led: the profitability factor is not falling"
    holding = claim("internals", "quality_led", thesis, [ev(0.01)], 0.4)
    failing = claim("internals", "quality_led", thesis, [ev(-0.05)], 0.4)
    bull, bear = dec.lens_requirements([holding])
    assert "keeps holding" in bull[0] and "stops holding" in bear[0] and "+1.00 %" in bull[0]
    bull, bear = dec.lens_requirements([failing])
    assert "starts to hold" in bull[0] and "keeps failing" in bear[0] and "-5.00 %" in bull[0]
