"""Loughran-McDonald tone with negation (LM 2011): counts, tone, and the bundled word lists."""

from __future__ import annotations

import pytest

from rotascope.sentiment import NEGATIONS, SentimentScore, load_lexicon, score


def test_word_lists_are_the_lm_master_dictionary() -> None:
    lex = load_lexicon()
    assert (len(lex.positive), len(lex.negative), len(lex.uncertainty)) == (354, 2355, 297)
    assert {"achieve", "improvement", "strong"} <= lex.positive
    assert {"loss", "decline", "impairment", "bankruptcy"} <= lex.negative
    assert {"uncertain", "may", "approximately"} <= lex.uncertainty
    assert "liability" not in lex.negative  # the point of a finance lexicon
    assert "Loughran-McDonald" in lex.source


def test_counts_and_tone() -> None:
    result = score("Strong quarter: record gains, but impairment losses and uncertain demand.")
    assert result == SentimentScore(positive=2, negative=2, uncertainty=1, tone=0.0)
    assert score("Revenue improved strongly.").tone == 1.0
    assert score("The company filed for bankruptcy.").tone == -1.0


def test_no_sentiment_words_gives_zero_tone() -> None:
    assert score("The fund holds 2,000 stocks.") == SentimentScore(0, 0, 0, 0.0)
    assert score("") == SentimentScore(0, 0, 0, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "Margins did not improve.",
        "Sales never improved.",
        "Results weren't strong.",
        "Results weren’t strong.",  # curly apostrophe
        "There is no sign of improvement.",
    ],
)
def test_negated_positive_counts_as_negative(text: str) -> None:
    result = score(text)
    assert (result.positive, result.negative, result.tone) == (0, 1, -1.0)


def test_negation_reaches_only_three_words_back() -> None:
    assert score("Not that we expect anything but strong results.").positive == 1  # 'not' is 6 words back
    assert score("Not a very strong result.").negative == 1  # 'not' is 3 words back


def test_negation_does_not_flip_negative_words() -> None:
    assert score("No losses this year.") == SentimentScore(0, 1, 0, -1.0)  # LM negate positives only


def test_lm_negations_are_included() -> None:
    assert {"no", "not", "none", "neither", "never", "nobody"} <= NEGATIONS
