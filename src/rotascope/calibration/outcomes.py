"""Outcomes defined in advance, their weekly LABELS, and the expanding climatology known at each week.

For a subject S against a benchmark B, an as-of week ``t`` and a horizon of ``h`` weekly steps:

* relative return ``R = (S[t+h] / S[t] - 1) - (B[t+h] / B[t] - 1)`` (``t+h`` = the h-th weekly as-of after
  ``t``; see ``backtest.forward``);
* band ``b_t = k x sigma_t x sqrt(h / 52)``, where ``sigma_t`` is the annualised volatility of the daily log
  S/B ratio over the ``window`` trading days up to ``t`` (known at ``t``) and ``k`` is stated in the
  thresholds file (``[calibration] band_k``);
* bull: ``R > b_t``; bear: ``R < -b_t``; base: in between (classes 2, 0 and 1).

The label of week ``j`` is known at week ``i`` only when ``j + h <= i`` (its last close is the as-of of
week ``j + h``). ``climatology`` counts only such labels, with one pseudo-count per class (so week one says
1/3 each): ``(count_k + 1) / (n + 3)``; the universe's base rates also count the size factor's pre-IWM
outcomes when they split the out-of-band share between bull and bear (``prior``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rotascope._typing import DateArray, Float64Array
from rotascope.backtest.forward import closes_at, forward_relative_return_label, horizon_column
from rotascope.errors import DataError
from rotascope.indicators.volatility import realized_vol

ScenarioName = Literal["bear", "base", "bull"]
CLASSES: tuple[ScenarioName, ScenarioName, ScenarioName] = ("bear", "base", "bull")
"""Class order of every probability array: column 0 bear, 1 base, 2 bull."""
BEAR, BASE, BULL = 0, 1, 2
UNIVERSE_PAIR = ("IWM", "SPY")
"""Subject and benchmark of the universe's calibrated outcomes: the Russell 2000 against the S&P 500."""


@dataclass(frozen=True)
class Labels:
    """Weekly labels of one horizon. ``cls`` is NaN where the outcome is not known at the data's end."""

    asof: DateArray
    horizon: int
    rel: Float64Array
    """LABEL: realised relative return over the horizon (future data)."""
    band: Float64Array
    """Band known at each as-of (fraction)."""
    cls: Float64Array
    """0 bear, 1 base, 2 bull; NaN when unknown."""

    def onehot(self) -> Float64Array:
        """(weeks x 3) indicator of the realised class; rows of NaN where unknown."""
        out = np.full((len(self.cls), 3), np.nan)
        ok = np.isfinite(self.cls)
        out[ok] = 0.0
        out[np.flatnonzero(ok), self.cls[ok].astype(np.int64)] = 1.0
        return out

    def known_mask(self, i: int) -> np.ndarray:
        """Rows whose label is known at week ``i`` (``j + h <= i`` and the label exists)."""
        j = np.arange(len(self.cls))
        return np.asarray((j + self.horizon <= i) & np.isfinite(self.cls))


def check_horizon(h: int, allowed: tuple[int, ...]) -> int:
    if h not in allowed:
        raise DataError(
            f"Horizon {h} weeks is not calibrated; choose one of {', '.join(str(a) for a in allowed)} weeks."
        )
    return h


def pair_band(
    calendar: DateArray,
    subject: Float64Array,
    benchmark: Float64Array,
    asof: DateArray,
    horizon: int,
    k: float,
    window: int,
) -> Float64Array:
    """``k x`` trailing annualised volatility of the S/B ratio ``x sqrt(h/52)`` at each as-of."""
    if k <= 0:
        raise DataError(f"The outcome band multiplier must be above 0, got {k:g}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = subject / benchmark
    vol = closes_at(calendar, realized_vol(ratio, window), asof)
    return np.asarray(k * vol * np.sqrt(horizon / 52.0))


def weekly_labels(
    calendar: DateArray,
    subject: Float64Array,
    benchmark: Float64Array,
    asof: DateArray,
    horizon: int,
    k: float,
    window: int,
) -> Labels:
    """LABELS (future returns) of every weekly as-of for one horizon, with the band known at the as-of."""
    rel = forward_relative_return_label(calendar, subject, benchmark, asof, (horizon,))
    r = rel[horizon_column(horizon)].to_numpy(dtype=np.float64)
    band = pair_band(calendar, subject, benchmark, asof, horizon, k, window)
    ok = np.isfinite(r) & np.isfinite(band)
    cls = np.full(len(r), np.nan)
    cls[ok] = np.where(r[ok] > band[ok], BULL, np.where(r[ok] < -band[ok], BEAR, BASE))
    return Labels(np.asarray(asof).astype("datetime64[D]"), horizon, r, band, cls)


def _known_cumsum(values: Float64Array, horizon: int) -> Float64Array:
    """Row i: sum of ``values[j]`` over ``j <= i - horizon`` (rows known at week i), along axis 0."""
    c = np.cumsum(values, axis=0)
    out = np.zeros_like(c)
    if horizon < len(c):
        out[horizon:] = c[: len(c) - horizon]
    return out


def climatology(labels: Labels, side_prior: tuple[int, int] | None = None) -> Float64Array:
    """(weeks x 3) base rates at each week from the labels known then, with one pseudo-count per class.

    With ``side_prior = (bear, bull)`` counts of earlier outcomes (``prior.size_prior``), the base class keeps
    its own rate ``(base + 1) / (n + 3)`` and the rest is split between bear and bull in the proportion
    ``(bear + prior_bear + 1) / (bear + bull + prior_bear + prior_bull + 2)``. With ``(0, 0)`` this is
    the plain climatology (to rounding).
    """
    counts = _known_cumsum(np.nan_to_num(labels.onehot()), labels.horizon)
    plain = np.asarray((counts + 1.0) / (counts.sum(axis=1, keepdims=True) + 3.0))
    if side_prior is None:
        return plain
    prior_bear, prior_bull = side_prior
    bear = counts[:, BEAR] + prior_bear + 1.0
    side = bear / (bear + counts[:, BULL] + prior_bull + 1.0)
    out = 1.0 - plain[:, BASE]
    return np.asarray(np.stack([out * side, plain[:, BASE], out * (1.0 - side)], axis=1))


def labelled_weeks(labels: Labels) -> Float64Array:
    """Number of labels known at each week."""
    return _known_cumsum(np.isfinite(labels.cls).astype(np.float64), labels.horizon)


def class_means(labels: Labels) -> Float64Array:
    """(weeks x 3) mean realised relative return of each class among labels known at each week (0 if none)."""
    onehot = np.nan_to_num(labels.onehot())
    sums = _known_cumsum(onehot * np.nan_to_num(labels.rel)[:, None], labels.horizon)
    counts = _known_cumsum(onehot, labels.horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(counts > 0, sums / np.maximum(counts, 1.0), 0.0))


def outcome_sentence(name: ScenarioName, subject: str, benchmark: str, band: float, horizon: int) -> str:
    """The measurable event of one scenario, generated from its numbers."""
    if name == "bull":
        return f"{subject} beats {benchmark} by more than {band:.1%} over the next {horizon} weeks"
    if name == "bear":
        return f"{subject} lags {benchmark} by more than {band:.1%} over the next {horizon} weeks"
    return f"{subject} ends within ±{band:.1%} of {benchmark} over the next {horizon} weeks"
