"""The decision's sentences follow its numbers: the no-tilt reason and the lens "requires" lines."""

from __future__ import annotations

from datetime import date

from rotascope.agents import decision as dec
from rotascope.agents.base import claim
from rotascope.records import Calibration, Evidence


def call(e: float, bull: float, bear: float, weight: float = 0.5) -> Calibration:
    return Calibration.model_construct(
        probabilities=[bear, 1 - bull - bear, bull],
        expected_relative_return=e,
        round_trip_cost=0.002,
        model_weight=weight,
        band=0.04,
    )


def test_no_tilt_reason_matches_the_numbers() -> None:
    small = dec.calibrated_stance(call(0.001, 0.4, 0.3), 3, 0.5, "small caps")[0]
    assert "does not clear the 0.20% round-trip cost" in small
    against = dec.calibrated_stance(call(0.008, 0.3, 0.4), 3, 0.5, "small caps")[0]
    assert "clears the 0.20% cost" in against and "P(bull) 30% vs P(bear) 40%" in against
    assert "does not clear" not in against
    assert dec.calibrated_stance(call(0.008, 0.4, 0.3), 3, 0.5, "small caps")[0] == "tilt toward small caps"
    assert dec.calibrated_stance(call(0.008, 0.4, 0.3, 0.0), 3, 0.5, "small caps")[1] == "stand aside"


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
