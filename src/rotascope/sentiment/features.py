"""Text features of the finance sentiment model: word n-grams, Loughran-McDonald counts, direction rules.

Everything here is plain Python and numpy, shared by the training script (which hands the features to
scikit-learn) and by inference (which applies the exported weights), so both see exactly the same numbers.

Direction rules: finance sentences carry their tone in *what moved which way*. "Operating loss narrowed"
is good news although "loss" is a negative word; "costs rose" is bad news although "rose" sounds good. A
metric word (profit, sales, loss, costs, ...) paired with a direction word (rose, fell, narrowed, ...)
within a few words gives +1 when a good metric goes up or a bad one goes down, −1 otherwise; a negation
just before the direction word flips it. Number pairs ("to EUR 5.2 mn from EUR 4.1 mn", "EUR 7 mn compared
with EUR 9 mn") give the direction of the nearest metric when no direction word does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

import numpy as np

from rotascope.sentiment.lexicon import NEGATIONS, load_lexicon

__all__ = ["DENSE_NAMES", "dense_features", "normalise", "terms", "words"]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|%")
_NUMBER = re.compile(r"\d")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


GOOD_METRICS = _wordset(
    """profit profits sales revenue revenues turnover earnings ebit ebitda eps income margin margins
    order orders intake backlog dividend dividends demand volume volumes result results cash share shares
    price prices value growth productivity production output deliveries traffic occupancy efficiency
    market-share stock profitability return returns capacity rating ratings guidance outlook forecast
    employment
    """
)
"""Metrics whose rise is good news."""
BAD_METRICS = _wordset(
    """loss losses cost costs expenses expense debt debts deficit charges charge writedowns impairment
    impairments unemployment layoffs redundancies lay-offs arrears provisions risk risks inventories
    """
)
"""Metrics whose rise is bad news."""
UP = _wordset(
    """rose rise rises risen rising increase increased increases increasing grew grow grows grown growing up
    higher climbed climb climbs jumped jump jumps surged surge surges soared soar soars gained gain gains
    doubled tripled advanced boosted boost expanded expand expands widened widen widening exceeded
    rebounded rebound recovered improved improve improves improving strengthened topped"""
)
DOWN = _wordset(
    """fell fall falls fallen falling decrease decreased decreases decreasing declined decline declines
    declining dropped drop drops down lower slumped slump plunged plunge plummeted shrank shrunk shrink
    contracted contract narrowed narrow narrowing weakened weaken reduced reduce reduces reducing cut cuts
    slipped slip sank tumbled deteriorated slid dipped eased lowered halved worsened"""
)
_ALWAYS_GOOD = frozenset({"improved", "improve", "improves", "improving", "strengthened"})
_ALWAYS_BAD = frozenset({"deteriorated", "worsened", "weakened", "weaken"})
METRIC_BEFORE = 8
"""Words a direction word looks back for its metric ("net sales in the quarter rose")."""
METRIC_AFTER = 3
"""Words it looks ahead ("increased its operating profit", "lower costs")."""
NEGATION_WINDOW = 3

_PAIR = re.compile(
    r"(?:\bto|\bat|\bof|\bwas|\bwere|\btotall?ed|\bstood at|\bamounted to|\breached)\s+"
    r"(?:eur|usd|sek|\$|€|£|rs)?\s?(?P<a>\d+(?:[.,]\d+)?)\s*(?P<ua>mn|m|million|bn|billion|%|pct)?"
    r"[^.;\d]{0,40}?\b(?:from|compared (?:to|with)|versus|vs\.?|against|year-on-year from)\s+"
    r"(?:eur|usd|sek|\$|€|£|rs)?\s?(?P<b>\d+(?:[.,]\d+)?)\s*(?P<ub>mn|m|million|bn|billion|%|pct)?"
)
_FROM_TO = re.compile(
    r"\bfrom\s+(?:eur|usd|sek|\$|€|£|rs)?\s?(?P<b>\d+(?:[.,]\d+)?)\s*(?P<ub>mn|m|million|bn|billion|%|pct)?"
    r"\s+(?:eur|usd|sek|\$|€|£|rs)?\s*to\s+(?:eur|usd|sek|\$|€|£|rs)?\s?(?P<a>\d+(?:[.,]\d+)?)\s*"
    r"(?P<ua>mn|m|million|bn|billion|%|pct)?"
)
_SCALE = {"bn": 1e3, "billion": 1e3}
_SWING = _wordset("swung swing swings turned turn turns slipped slid fell dipped plunged sank returned")
"""Verbs of a change of sign: "swung to a net loss", "returned to profit"."""
_PROFIT_VS_LOSS = re.compile(
    r"\b(?P<first>profit|loss|losses)\b[^.;]{0,60}?\b(?:versus|vs|compared (?:to|with)|against|from)\s+"
    r"(?:a\s+|an\s+)?(?:[a-z-]+\s+)?(?P<second>profit|loss|losses)\b"
)
_PERCENT_MOVE = frozenset({"percent", "pct", "%", "per"})

DENSE_NAMES = (
    "lm_positive",
    "lm_negative",
    "lm_negated_positive",
    "lm_uncertainty",
    "direction_good",
    "direction_bad",
    "numbers_good",
    "numbers_bad",
    "up_no_metric",
    "down_no_metric",
)
"""Names of the dense feature columns, in order."""


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, digits kept."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")


def words(text: str) -> list[str]:
    """Word tokens of normalised text; every number becomes ``#`` (amounts are not tone)."""
    return ["#" if _NUMBER.match(w) else w for w in _WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Unigrams and bigrams of :func:`words` (the model's sparse vocabulary is made of these)."""
    toks = words(normalise(text))
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]


def _amount(value: str, unit: str | None) -> float:
    """'1,200' → 1200, '5,2' → 5.2, '1.3' → 1.3; billions scaled to millions."""
    if "," in value and "." not in value and not re.fullmatch(r"\d{1,3}(?:,\d{3})+", value):
        value = value.replace(",", ".")
    return float(value.replace(",", "")) * _SCALE.get(unit or "", 1.0)


def _metric_sign(toks: Sequence[str], end: int) -> int:
    """+1 good metric, −1 bad metric, 0 none: the nearest metric word before token ``end``."""
    for w in reversed(toks[max(0, end - 12) : end]):
        if w in BAD_METRICS:
            return -1
        if w in GOOD_METRICS:
            return 1
    return 0


def _direction(toks: Sequence[str]) -> tuple[int, int, int, int]:
    """Good and bad metric moves, then moves of an unnamed quantity by a percentage ("fell 5.5 %")."""
    good = bad = up_moves = down_moves = 0
    for i, w in enumerate(toks):
        lead = toks[max(0, i - 4) : i]
        if (
            w in ("loss", "losses", "profit")
            and any(t in _SWING for t in lead)
            and ("to" in lead or "into" in lead)
        ):
            good += w == "profit"
            bad += w != "profit"
            continue
        up = w in UP
        if not up and w not in DOWN:
            continue
        negated = any(t in NEGATIONS for t in toks[max(0, i - NEGATION_WINDOW) : i])
        if w in _ALWAYS_GOOD or w in _ALWAYS_BAD:
            sign = 1 if w in _ALWAYS_GOOD else -1
        else:
            metric = 0
            for t in reversed(toks[max(0, i - METRIC_BEFORE) : i]):
                if t in BAD_METRICS or t in GOOD_METRICS:
                    metric = -1 if t in BAD_METRICS else 1
                    break
            if metric == 0:
                for t in toks[i + 1 : i + 1 + METRIC_AFTER]:
                    if t in BAD_METRICS or t in GOOD_METRICS:
                        metric = -1 if t in BAD_METRICS else 1
                        break
            if metric == 0:
                after = toks[i + 1 : i + 4]
                if after and _NUMBER.match(after[0]) and any(t in _PERCENT_MOVE for t in after[1:]):
                    up_moves += up != negated
                    down_moves += up == negated
                continue
            sign = metric if up else -metric
        if negated:
            sign = -sign
        if sign > 0:
            good += 1
        else:
            bad += 1
    return good, bad, up_moves, down_moves


def _is_year(value: str, unit: str | None) -> bool:
    return unit is None and value.isdigit() and 1980 <= int(value) <= 2035


def _numbers(text: str) -> tuple[int, int, int, int]:
    good = bad = up = down = 0
    for m in _PROFIT_VS_LOSS.finditer(text):
        first, second = m.group("first") == "profit", m.group("second") == "profit"
        if first != second:
            good += first
            bad += second
    for pattern in (_PAIR, _FROM_TO):
        for m in pattern.finditer(text):
            ua, ub = m.group("ua"), m.group("ub")
            if (ua == "%") != (ub == "%") or _is_year(m.group("a"), ua) or _is_year(m.group("b"), ub):
                continue
            try:
                a, b = _amount(m.group("a"), ua or ub), _amount(m.group("b"), ub or ua)
            except ValueError:
                continue
            if a == b:
                continue
            rising = a > b
            before = words(text[: m.start()])
            metric = _metric_sign(before, len(before))
            if metric == 0:
                up += rising
                down += not rising
            elif (metric > 0) == rising:
                good += 1
            else:
                bad += 1
    return good, bad, up, down


def dense_features(texts: Iterable[str]) -> np.ndarray:
    """One row per text, columns :data:`DENSE_NAMES` (counts, float64)."""
    lex = load_lexicon()
    rows: list[tuple[int, ...]] = []
    for text in texts:
        norm = normalise(text)
        toks = _WORD.findall(norm)
        pos = neg = negated = unc = 0
        for i, w in enumerate(toks):
            if w in lex.positive:
                if any(t in NEGATIONS for t in toks[max(0, i - NEGATION_WINDOW) : i]):
                    negated += 1
                else:
                    pos += 1
            elif w in lex.negative:
                neg += 1
            if w in lex.uncertainty:
                unc += 1
        dir_good, dir_bad, moves_up, moves_down = _direction(toks)
        num_good, num_bad, num_up, num_down = _numbers(norm)
        rows.append(
            (
                pos,
                neg,
                negated,
                unc,
                dir_good,
                dir_bad,
                num_good,
                num_bad,
                num_up + moves_up,
                num_down + moves_down,
            )
        )
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(DENSE_NAMES))
