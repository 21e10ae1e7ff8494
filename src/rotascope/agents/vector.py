"""The agents' arithmetic as array kernels: one implementation for one week (a row) and for every week.

A claim is judged from its evidence values (rows x evidence) by :func:`judge`; opinions are scored by
:func:`scores`; the debate's challenges, answers and confidence moves are played by :func:`debate`. The
per-week path (``agents.base.claim``, ``opinion``, ``agents.debate.run_debate``) calls these kernels with
one row and turns their numbers into worded records; the replay (``analysis.replay``) calls them once with
every weekly row. Sums run claim by claim in claim order, as Python's ``sum`` does, so the two paths give
the same floats, not merely close ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rotascope._record import rnd_array as rnd_array  # re-exported: the agents round with it
from rotascope._typing import BoolArray, Float64Array
from rotascope.measures import UNITS
from rotascope.regime.engine import Bar as Bar  # re-exported: the agents type thresholds with it
from rotascope.regime.engine import combine, verdicts
from rotascope.regime.thresholds import DebateRules, packaged_thresholds
from rotascope.risk.sizing import DEFAULT_MAX_TILT

IntArray = npt.NDArray[np.int64]

UNIT_SCALE = {n: u.scale for n, u in UNITS.items() if u.scale is not None and u.scale != 1.0}
"""Margin scale per unit (``measures.UNITS``, see ``agents.base``); counts, days, flags and index points
use 1."""
UNIT_ONE = frozenset(n for n, u in UNITS.items() if u.scale == 1.0)


def _bars(thresholds: Sequence[Bar], rows: int) -> Float64Array:
    cols = [np.broadcast_to(np.asarray(t, dtype=np.float64), (rows,)) for t in thresholds]
    return np.column_stack(cols) if cols else np.zeros((rows, 0))


def margins(
    values: Float64Array, thresholds: Sequence[Bar], comparisons: Sequence[str], units: Sequence[str]
) -> Float64Array:
    """Signed distance of each value from its threshold in unit scales (+ = on the passing side)."""
    thr = _bars(thresholds, values.shape[0])
    scale = np.column_stack(
        [
            np.full(values.shape[0], UNIT_SCALE[u])
            if u in UNIT_SCALE
            else np.ones(values.shape[0])
            if u in UNIT_ONE
            else np.maximum(np.abs(thr[:, j]), 1e-9)
            for j, u in enumerate(units)
        ]
    )
    sign = np.array([-1.0 if c in ("<=", "<") else 1.0 for c in comparisons])
    raw = (values - thr) / scale
    out: Float64Array = np.where(sign < 0, -raw, raw)
    return out


def judge(
    values: Float64Array,
    thresholds: Sequence[Bar],
    comparisons: Sequence[str],
    units: Sequence[str],
    bullish_if_passed: bool = True,
) -> tuple[Float64Array, Float64Array]:
    """(direction sign, strength) of one claim on each row of ``values`` (rows x evidence; NaN = no data),
    its evidence judged by the rule engine the regime's ladder uses (``regime.engine``).

    Direction: neutral (0) unless every evidence item has data; then +1 when all pass (-1 when any fails),
    flipped for a claim that is bullish when its evidence fails. Strength: the weakest margin + 0.25, capped
    at 1, rounded to 4 decimals; 0 for a neutral claim. A claim without evidence is neutral.
    """
    v = np.asarray(values, dtype=np.float64)
    rows, n_ev = v.shape
    if n_ev == 0:
        return np.zeros(rows), np.zeros(rows)
    known = np.isfinite(v).all(axis=1)
    passed = combine("all", verdicts(v, thresholds, comparisons)) == 1.0
    bull = passed == bullish_if_passed
    sign = np.where(known, np.where(bull, 1.0, -1.0), 0.0)
    with np.errstate(invalid="ignore"):
        weakest = np.abs(margins(v, thresholds, comparisons, units)).min(axis=1)
        strength = np.minimum(1.0, weakest + 0.25)
    strength = np.where(known, rnd_array(strength, 4), 0.0)
    return sign, strength


TONE_PRIOR = 20.0
"""Neutral pseudo-headlines added to every count by :func:`tone` (the strength of its shrinkage)."""


def tone(
    positive: Float64Array, negative: Float64Array, count: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """(net tone, strength) of each row's headlines: the sentiment agent's calibrated aggregate.

    Net tone = (positive − negative) / (count + TONE_PRIOR): the posterior mean of P(positive) −
    P(negative) under a Dirichlet prior of ``TONE_PRIOR`` neutral headlines, so it weighs both the balance
    and the number of headlines: 8 positive, 7 negative and 42 neutral give +0.013, not a bullish view;
    10 of 10 positive give +0.33 and 40 of 40 +0.67. Strength is its size (capped at 1), so the agent's
    score and confidence grow with the count and the agreement. Rounded to 4 decimals; NaN and 0 without
    headlines."""
    n = np.asarray(count, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(n > 0, (positive - negative) / (n + TONE_PRIOR), np.nan)
    net = rnd_array(net, 4)
    strength: Float64Array = np.where(n > 0, np.minimum(1.0, np.abs(net)), 0.0)
    return net, strength


# --------------------------------------------------------------------------------------- opinions
def weighted_score(sign: Float64Array, strength: Float64Array, weights: Float64Array) -> Float64Array:
    """Weighted balance of claims in [-1, 1] per row (rows x claims), summed claim by claim (0: no weight)."""
    rows, n = sign.shape
    w = np.broadcast_to(weights, (rows, n))
    total = np.zeros(rows)
    num = np.zeros(rows)
    for j in range(n):
        total = total + w[:, j]
        num = num + w[:, j] * strength[:, j] * sign[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Float64Array = np.where(total > 0, num / np.where(total > 0, total, 1.0), 0.0)
    return out


def confidence(
    score: Float64Array, sign: Float64Array, strength: Float64Array, present: BoolArray | None = None
) -> Float64Array:
    """|score| scaled to 0.2-1 (capped at ``[agents.model] max_confidence``) by the share of claims with data
    behind them (0 without claims); ``present`` (rows x claims) marks the claims a row makes, when not every
    row makes all of them."""
    made = np.ones(sign.shape, dtype=bool) if present is None else present
    n = made.sum(axis=1)
    with_data = (made & ((sign != 0) | (strength > 0))).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(n > 0, with_data / np.where(n > 0, n, 1), 0.0)
    cap = packaged_thresholds().agents.model.max_confidence
    out: Float64Array = np.clip(0.2 + 0.7 * np.abs(score), 0.0, cap) * coverage
    return out


@dataclass(frozen=True)
class Claims:
    """Every claim of a set of opinions as arrays: static facts per claim, judged values per row."""

    agents: tuple[str, ...]
    ids: tuple[str, ...]
    agent_of: IntArray
    topics: tuple[str, ...]
    weight: Float64Array
    sign: Float64Array
    """rows x claims: +1 bullish, -1 bearish, 0 neutral."""
    strength: Float64Array
    present: BoolArray | None = None
    """rows x claims: which claims each row makes (None: all); absent claims must have sign 0."""

    def of(self, a: int) -> IntArray:
        """Columns of agent ``a``'s claims, in claim order."""
        return np.flatnonzero(self.agent_of == a)

    def opinion_scores(self, weights: Float64Array | None = None) -> tuple[Float64Array, Float64Array]:
        """(unrounded score, confidence) per row and agent; ``weights`` (rows x claims) overrides claims'."""
        rows = self.sign.shape[0]
        w = np.broadcast_to(self.weight, self.sign.shape) if weights is None else weights
        if self.present is not None:
            w = np.where(self.present, w, 0.0)
        score = np.zeros((rows, len(self.agents)))
        conf = np.zeros((rows, len(self.agents)))
        for a in range(len(self.agents)):
            cols = self.of(a)
            made = None if self.present is None else self.present[:, cols]
            score[:, a] = weighted_score(self.sign[:, cols], self.strength[:, cols], w[:, cols])
            conf[:, a] = confidence(score[:, a], self.sign[:, cols], self.strength[:, cols], made)
        return score, conf


# ----------------------------------------------------------------------------------------- debate
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


@dataclass(frozen=True)
class Move:
    """One challenge of a debate round on every row: who challenged which claim with which counter."""

    round: int
    challenger: int
    active: BoolArray
    target: IntArray
    counter: IntArray
    rebutted: BoolArray
    conf_before: Float64Array
    """rows x agents, the confidences before this challenge was answered."""
    conf_after: Float64Array


@dataclass(frozen=True)
class DebateResult:
    """The debate on every row: the moves in order, final claim weights and confidences."""

    moves: tuple[Move, ...]
    weights: Float64Array
    confidence: Float64Array


def _may_counter(c: Claims, min_counter_weight: float) -> BoolArray:
    """Static part of "claim d may counter claim c": another agent, a related topic, enough weight."""
    n = len(c.ids)
    ok = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            t, u = c.topics[i], c.topics[j]
            related = not t or u in RELATED.get(t, frozenset({u}))
            ok[i, j] = c.agent_of[i] != c.agent_of[j] and related and c.weight[j] >= min_counter_weight
    return ok


def _best(key: Float64Array, cols: IntArray, rank: IntArray) -> tuple[Float64Array, IntArray]:
    """Highest key over ``cols`` (ties: the lowest claim id) per row of ``key`` (..., claims)."""
    order = cols[np.argsort(rank[cols], kind="stable")]
    sub = key[..., order]
    if sub.shape[-1] == 0:
        shape = key.shape[:-1]
        return np.full(shape, -np.inf), np.zeros(shape, dtype=np.int64)
    pick = np.argmax(sub, axis=-1)
    return np.take_along_axis(sub, pick[..., None], axis=-1)[..., 0], order[pick]


def debate(c: Claims, conf0: Float64Array, rules: DebateRules, rounds: int = 2) -> DebateResult:
    """Play the debate's rounds on every row (rules in ``agents.debate``, numbers in ``[agents.debate]``);
    confidences start at ``conf0``."""
    rows, n = c.sign.shape
    rank = np.argsort(np.argsort(np.array(c.ids), kind="stable"), kind="stable").astype(np.int64)
    power = c.weight * c.strength
    static = _may_counter(c, rules.min_counter_weight)
    opposite = (c.sign[:, :, None] * c.sign[:, None, :]) < 0
    valid = static[None] & opposite & (c.strength >= rules.min_counter_strength)[:, None, :]
    conf = conf0.astype(np.float64, copy=True)
    weights = np.broadcast_to(c.weight, (rows, n)).copy()
    every = np.arange(rows)
    moves: list[Move] = []
    key = np.where(valid, power[:, None, :], -np.inf)  # rows x targets x counters
    targetable = (c.sign != 0) & (c.weight >= rules.min_target_weight)
    plan: list[tuple[int, BoolArray, IntArray, IntArray]] = []
    for a in range(len(c.agents)):
        best_power, best = _best(key, c.of(a), rank)  # rows x targets
        ok = targetable & np.isfinite(best_power) & (c.agent_of != a)
        order = np.argsort(rank, kind="stable")
        sort_key = np.where(ok, -best_power, np.inf)[:, order]
        picks = np.argsort(sort_key, axis=1, kind="stable")[:, : rules.max_challenges]
        for k in range(min(rules.max_challenges, n)):
            target = order[picks[:, k]]
            active = ok[every, target]
            plan.append((a, active, target, best[every, target]))
    for rnd_no in range(1, rounds + 1):
        if rnd_no > 1:
            again = []
            for prev in (m for m in moves if m.round == rnd_no - 1):
                pressed = prev.active & prev.rebutted
                k2 = key[every, prev.target].copy()  # rows x counters
                k2[every, prev.counter] = -np.inf
                p2, d2 = _best(k2, c.of(prev.challenger), rank)
                again.append((prev.challenger, pressed & np.isfinite(p2), prev.target, d2))
            plan = again
        for a, active, target, counter in plan:
            before = conf.copy()
            rebut = active & (power[every, target] >= power[every, counter])
            concede = active & ~rebut
            defender = c.agent_of[target]
            conf[rebut, a] = np.maximum(0.0, conf[rebut, a] - rules.overreach_penalty)
            r = every[rebut]
            conf[r, defender[r]] = np.minimum(1.0, conf[r, defender[r]] + rules.rebut_bonus)
            q = every[concede]
            conf[q, defender[q]] = conf[q, defender[q]] * rules.concede_factor
            weights[q, target[q]] = weights[q, target[q]] / 2
            moves.append(Move(rnd_no, a, active, target, counter, rebut, before, conf.copy()))
    return DebateResult(tuple(moves), weights, conf)


# --------------------------------------------------------------------------------------- decision
MAX_TILT = DEFAULT_MAX_TILT
"""The satellite budget a tilt is a share of: the risk toolkit's (10 % of equity)."""


def consensus(score: Float64Array, conf: Float64Array) -> Float64Array:
    """Confidence-weighted mean of the agents' scores per row (rows x agents), summed agent by agent."""
    rows, n_agents = score.shape
    total = np.zeros(rows)
    num = np.zeros(rows)
    for a in range(n_agents):
        total = total + conf[:, a]
        num = num + conf[:, a] * score[:, a]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Float64Array = np.where(total <= 0, 0.0, num / np.where(total <= 0, 1.0, total))
    return out


def _evidence_split(
    score: Float64Array, conf: Float64Array, reached: Float64Array, fired: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """(bull, bear) weights of the evidence score per row, whole percents: s = clip(0.6 x consensus +
    0.5 x (reached - 2.5) / 2.5 - 0.25 x killers fired, -1, 1), bull = 0.30 + 0.35 s+ - 0.15 s-, bear the
    mirror. Only :func:`conviction` reads them: they are not probabilities and no output shows them as such.

    ``score`` and ``conf`` are the debate's final (rounded) scores and confidences, rows x agents.
    """
    cons = consensus(score, conf)
    s = np.clip(0.6 * cons + 0.5 * (reached - 2.5) / 2.5 - 0.25 * fired, -1, 1)
    up, down = np.maximum(s, 0.0), np.maximum(-s, 0.0)
    bull = _round2(0.30 + 0.35 * up - 0.15 * down)
    bear = _round2(0.30 + 0.35 * down - 0.15 * up)
    return bull, bear


def conviction(
    score: Float64Array, conf: Float64Array, reached: Float64Array, fired: Float64Array
) -> Float64Array:
    """The evidence score's conviction per row, bull - bear weights rounded to whole percents (see
    :func:`_evidence_split`): a replay signal, a calibrator input and the member ranking's tie-break."""
    bull, bear = _evidence_split(score, conf, reached, fired)
    return _round2(bull - bear)


def _round2(x: Float64Array) -> Float64Array:
    return rnd_array(x, 2)


def tilt(conv: Float64Array, vol_weight: Float64Array) -> Float64Array:
    """The sized tilt per row: sign x max_tilt x min(1, |conviction| / 0.5) x min(1, vol weight or 1); none
    within ``[agents.model] tilt_band``."""
    scale = np.where(np.isfinite(vol_weight), np.minimum(1.0, vol_weight), 1.0)
    raw = np.sign(conv) * MAX_TILT * np.minimum(1.0, np.abs(conv) / 0.5) * scale
    band = packaged_thresholds().agents.model.tilt_band
    out: Float64Array = np.where(np.abs(conv) <= band, 0.0, rnd_array(raw, 4))
    return out
