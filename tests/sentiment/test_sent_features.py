"""Finance direction rules and Loughran-McDonald counts used as model features."""

from __future__ import annotations

import pytest

from rotascope.sentiment.features import DENSE_NAMES, dense_features, terms


def features(text: str) -> dict[str, int]:
    row = dense_features([text])[0]
    return {name: int(v) for name, v in zip(DENSE_NAMES, row, strict=True) if v}


@pytest.mark.parametrize(
    ("text", "good", "bad"),
    [
        ("Operating loss narrowed to EUR 1.2 mn", 1, 0),
        ("Net loss for the third quarter of 2009 contracted sharply", 1, 0),
        ("Costs rose sharply", 0, 1),
        ("The loss widened", 0, 1),
        ("Net sales increased", 1, 0),
        ("Sales fell 10 %", 0, 1),
        ("Profit did not increase", 0, 1),  # negation flips
        ("Lower costs helped", 1, 0),  # direction word before its metric
        ("Efore swung to a net loss", 0, 1),
        ("The unit returned to profit", 1, 0),
        ("Margins improved", 1, 0),
        ("The company deteriorated", 0, 1),
    ],
)
def test_direction_rules(text: str, good: int, bad: int) -> None:
    got = features(text)
    assert (got.get("direction_good", 0), got.get("direction_bad", 0)) == (good, bad), got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Net sales rose to EUR 5.2 mn from EUR 4.1 mn", "numbers_good"),
        ("Pretax profit totaled EUR 4.9 mn compared to EUR 5.2 mn", "numbers_bad"),
        ("Operating loss was EUR 3 mn versus EUR 1 mn", "numbers_bad"),
        ("Costs went from EUR 9 mn to EUR 7 mn", "numbers_good"),
        ("A pretax profit of EUR 133 mn versus a loss of EUR 32 mn a year ago", "numbers_good"),
        ("Headcount went from 120 to 150", "up_no_metric"),
        ("Acando fell 8.9 percent to 13.35 kronor", "down_no_metric"),
    ],
)
def test_number_pairs_and_unnamed_moves(text: str, expected: str) -> None:
    assert expected in features(text), features(text)


def test_years_and_unrelated_numbers_are_not_pairs() -> None:
    got = features("The loss of 2009 stood at 4 from the start of 2008")
    assert "numbers_good" not in got and "numbers_bad" not in got


def test_lm_counts_with_negated_positive() -> None:
    assert features("Results were not strong and impairment losses grew") == {
        "lm_negative": 2,
        "lm_negated_positive": 1,
        "direction_bad": 1,
    }


def test_terms_fold_numbers_and_add_bigrams() -> None:
    assert terms("Sales rose 12 %") == ["sales", "rose", "#", "%", "sales rose", "rose #", "# %"]
