"""Signal attribution: did a signal, when it fired, precede IWM outperforming SPY?

For each signal and horizon h (weeks) over the weeks where both the signal and the forward LABEL are
known:

* ``fired`` — weeks with signal > 0 (a 1/0 flag that is 1, a score that is positive, e.g. ladder >= 1);
* ``mean_fired`` vs ``base_mean`` — mean forward IWM-minus-SPY return when fired vs over all those weeks
  (the unconditional base rate); ``edge`` is the difference;
* ``hit_rate`` vs ``base_hit_rate`` — share of fired weeks (of all weeks) with a forward return > 0;
* ``ic`` — information coefficient: Spearman rank correlation of the signal with the forward return
  (ties get average ranks; NaN when either side is constant);
* ``ci_low``/``ci_high`` — a 90 % moving-block-bootstrap interval of ``mean_fired``. Weekly labels over
  h > 1 weeks overlap (consecutive 13-week windows share 12 weeks), so weeks are resampled in blocks of
  h consecutive weeks to keep that autocorrelation; a plain i.i.d. bootstrap would be far too narrow.
  The seed is fixed, so the same data give the same interval.

Signals that read Russell 2000 member closes (``replay.SIGNAL_MEMBERS``) say which members they were
computed on: ``weeks_point_in_time`` of their ``weeks`` counted the dated list in force, the rest today's
members; ``survivorship=True`` when any week used today's members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import Field

from rotascope._typing import BoolArray, Float64Array
from rotascope.backtest.forward import DEFAULT_HORIZONS, horizon_column
from rotascope.backtest.replay import BREADTH_UNIVERSE, SIGNAL_MEMBERS, SignalKind
from rotascope.bootstrap import IntArray, block_indices
from rotascope.monitor.engine import SURVIVORSHIP
from rotascope.records import Record, rnd

DRAWS = 1000
CONFIDENCE = 0.90
SEED = 20240719
FIRED_RULE = "fired = signal > 0 (flags: 1; scores: positive)"


class SignalStat(Record):
    """How one signal did at one horizon (returns are IWM minus SPY, as fractions)."""

    signal: str
    kind: SignalKind
    horizon_weeks: int
    weeks: int
    """Weeks with both the signal and the forward return known."""
    fired: int
    mean_fired: float | None
    base_mean: float | None
    edge: float | None
    hit_rate: float | None
    base_hit_rate: float | None
    ic: float | None
    ci_low: float | None
    ci_high: float | None
    survivorship: bool = False
    universe: str | None = None
    """Member universe whose closes the signal reads (None: it reads no member closes)."""
    weeks_point_in_time: int | None = None
    """Of ``weeks``, those computed on the universe's dated list in force (None: no member input)."""


class Attribution(Record):
    """Attribution of every signal at every horizon, with how it was measured."""

    horizons: list[int]
    fired_rule: str
    draws: int
    confidence: float
    block: str
    seed: int
    stats: list[SignalStat]
    caveats: list[str]
    past_end: list[int] = Field(default_factory=list)
    """Per horizon (same order as ``horizons``): weekly as-of dates of the window whose forward outcome
    ends after the window's last as-of, so is not known inside it; excluded from every statistic."""

    def ranked(self) -> list[str]:
        """Signals sorted by information: mean |IC| over the horizons, highest first (unknown IC last)."""
        score: dict[str, list[float]] = {}
        for s in self.stats:
            score.setdefault(s.signal, [])
            if s.ic is not None:
                score[s.signal].append(abs(s.ic))
        return sorted(score, key=lambda k: (-(float(np.mean(score[k])) if score[k] else -1.0), k))


def spearman(x: Float64Array, y: Float64Array) -> float:
    """Spearman rank correlation of two equally long finite arrays (average ranks for ties; NaN if
    fewer than 3 points or either side is constant). Written out to avoid scipy's constant-input
    warning, which the test suite turns into an error."""
    if len(x) < 3:
        return float("nan")
    rx = pd.Series(x).rank(method="average").to_numpy(dtype=np.float64)
    ry = pd.Series(y).rank(method="average").to_numpy(dtype=np.float64)
    dx, dy = rx - rx.mean(), ry - ry.mean()
    den = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    if den == 0.0:
        return float("nan")
    return float((dx * dy).sum() / den)


class Resamples:
    """The bootstrap draws of one attribution, shared by its signals: the index rows depend only on
    (n, block, draws, seed) and the resampled outcomes only on those and the outcome vector, so each is
    drawn once and reused by every signal with the same weeks (same numbers as drawing them per signal)."""

    def __init__(self) -> None:
        self._idx: dict[tuple[int, int, int, int], IntArray] = {}
        self._values: dict[tuple[tuple[int, int, int, int], bytes], Float64Array] = {}

    def draw(self, values: Float64Array, block: int, draws: int, seed: int) -> tuple[IntArray, Float64Array]:
        """The index rows and ``values`` resampled by them."""
        n = len(values)
        key = (n, block, draws, seed)
        idx = self._idx.get(key)
        if idx is None:
            idx = self._idx[key] = block_indices(n, block, draws, np.random.default_rng([seed, block, n]))
        vkey = (key, np.ascontiguousarray(values, dtype=np.float64).tobytes())
        got = self._values.get(vkey)
        if got is None:
            got = self._values[vkey] = np.asarray(values[idx], dtype=np.float64)
        return idx, got


def conditional_mean_ci(
    fired: BoolArray,
    values: Float64Array,
    block: int,
    draws: int = DRAWS,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
    pool: Resamples | None = None,
) -> tuple[float, float]:
    """Bootstrap interval of ``mean(values[fired])`` resampling weeks in moving blocks of ``block``
    (``pool``: draws shared with the other signals of the same attribution)."""
    n = len(values)
    if n == 0 or not fired.any():
        return float("nan"), float("nan")
    idx, resampled = (pool or Resamples()).draw(values, block, draws, seed)
    f = fired[idx]
    counts = f.sum(axis=1)
    sums = np.where(f, resampled, 0.0).sum(axis=1)
    means = sums[counts > 0] / counts[counts > 0]
    if len(means) == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(lo), float(hi)


def signal_stat(
    name: str,
    signal: pd.Series,
    label: pd.Series,
    horizon: int,
    kind: SignalKind = "flag",
    draws: int = DRAWS,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
    point_in_time: pd.Series | None = None,
    pool: Resamples | None = None,
) -> SignalStat:
    """Attribution of one signal against one forward-return label (both indexed by as-of date).

    ``point_in_time``: per as-of, True when the member universe was counted on a dated list (None:
    unknown, so a member-reading signal is taken as computed on today's members throughout)."""
    both = pd.concat([signal.rename("s"), label.rename("y")], axis=1, join="inner").dropna()
    s = both["s"].to_numpy(dtype=np.float64)
    y = both["y"].to_numpy(dtype=np.float64)
    fired = s > 0
    n, k = len(y), int(fired.sum())
    lo, hi = conditional_mean_ci(fired, y, horizon, draws, confidence, seed, pool)
    base = float(y.mean()) if n else float("nan")
    members = SIGNAL_MEMBERS.get(name)
    pit_weeks: int | None = None
    if members == "today":
        pit_weeks = 0
    elif members == "list_in_force":
        on = point_in_time.reindex(both.index) if point_in_time is not None else None
        pit_weeks = int(on.fillna(False).astype(bool).sum()) if on is not None else 0
    cond = float(y[fired].mean()) if k else float("nan")
    return SignalStat(
        signal=name,
        kind=kind,
        horizon_weeks=horizon,
        weeks=n,
        fired=k,
        mean_fired=rnd(cond),
        base_mean=rnd(base),
        edge=rnd(cond - base),
        hit_rate=rnd(float((y[fired] > 0).mean()) if k else float("nan")),
        base_hit_rate=rnd(float((y > 0).mean()) if n else float("nan")),
        ic=rnd(spearman(s, y)),
        ci_low=rnd(lo),
        ci_high=rnd(hi),
        survivorship=pit_weeks is not None and pit_weeks < n,
        universe=BREADTH_UNIVERSE if members is not None else None,
        weeks_point_in_time=pit_weeks,
    )


def attribute(
    signals: pd.DataFrame,
    labels: pd.DataFrame,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    kinds: Mapping[str, SignalKind] | None = None,
    draws: int = DRAWS,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
    point_in_time: pd.Series | None = None,
    past_end: Sequence[int] = (),
) -> Attribution:
    """Attribution of every signal column against the ``fwd_{h}w`` label columns, for each horizon
    (``point_in_time``: see ``signal_stat``; ``past_end``: the count per horizon of outcomes beyond the
    window, recorded as given)."""
    kinds = kinds or {}
    pool = Resamples()
    stats = [
        signal_stat(
            str(col),
            signals[col],
            labels[horizon_column(h)],
            h,
            kinds.get(str(col), "flag"),
            draws,
            confidence,
            seed,
            point_in_time,
            pool,
        )
        for col in signals.columns
        for h in horizons
    ]
    return Attribution(
        horizons=list(horizons),
        fired_rule=FIRED_RULE,
        draws=draws,
        confidence=confidence,
        block="moving blocks of h consecutive weeks (h = horizon)",
        seed=seed,
        stats=stats,
        past_end=list(past_end),
        caveats=[
            SURVIVORSHIP + " Signals marked survivorship=True read today's members in some of their "
            "weeks; weeks_point_in_time counts the weeks on the dated list.",
            "Forward returns over h > 1 weeks overlap; IC and hit rates are not independent draws.",
        ],
    )
