"""Walk-forward calibrator: a regularised multinomial logistic, shrunk toward the climatology.

At week ``i`` (weekly as-of dates, oldest first):

1. **Base rates** ``c_i``: the climatology of the labels known at ``i`` (``outcomes.climatology``), with
   the bull/bear split also counting the size factor's pre-IWM outcomes when given a ``SizePrior``
   (``prior``). The plain expanding climatology is kept beside it as the yardstick of every skill score.
2. **Model** ``m_i``: scikit-learn ``LogisticRegression`` (L2, ``C = [calibration] l2_c``, multinomial over
   bear/base/bull) after a median imputer and a standard scaler, all three fitted on the training rows
   only. Training rows are the weeks ``j`` whose label is known at the refit week ``r``: ``j + h <= r``
   (the purge). Refits happen every ``refit_weeks`` weeks, anchored at the first week with
   ``min_labelled_weeks`` known labels; week ``i`` uses the latest refit ``r <= i``. Before the first refit
   there is no model and the probabilities are the climatology.
3. **Shrinkage** ``p_i = w_i m_i + (1 - w_i) c_i``. Over the model's own out-of-sample calls whose labels
   are known at ``i`` (at least ``min_oos_weeks`` of them): when the model's Brier score beat the
   climatology's, ``w_i`` is the blend weight that minimised their Brier score (closed form of a quadratic
   in ``w``, clipped to [0, 1]); otherwise ``w_i = 0`` and the probabilities ARE the base rates. So the
   forecast leans on the evidence only as far as the evidence has earned out of sample, and is no worse
   than the base rate by construction (up to the noise of that estimate).

Fits run single-threaded (``threadpool_limits(1)``): on a shared 2-core machine BLAS threads only contend.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from rotascope._typing import Float64Array
from rotascope.calibration.features import FeatureTable
from rotascope.calibration.outcomes import BEAR, BULL, Labels, _known_cumsum, climatology, labelled_weeks
from rotascope.calibration.prior import SizePrior
from rotascope.regime.thresholds import CalibrationRules


@dataclass(frozen=True)
class WalkForward:
    """Every week's calibrated call for one horizon, and how it was made."""

    labels: Labels
    clim: Float64Array
    """(weeks x 3) base rates known at each week (with the size prior's bull/bear split when given)."""
    expanding: Float64Array
    """(weeks x 3) the plain expanding climatology: the yardstick of every Brier and log-loss skill."""
    prior: SizePrior | None
    """The pre-IWM outcomes counted in the base rates' bull/bear split (None: IWM's labels only)."""
    model: Float64Array
    """(weeks x 3) model probabilities out of sample; NaN before the first refit."""
    weight: Float64Array
    """Blend weight of the model at each week (0 = the base rates)."""
    prob: Float64Array
    """(weeks x 3) the calibrated probabilities: weight x model + (1 - weight) x base rates."""
    labelled: Float64Array
    """Labels known at each week."""
    fitted_on: Float64Array
    """Training rows of the refit each week used (0 before the first refit)."""
    coefs: pd.DataFrame
    """Standardised bull-minus-bear coefficient of each feature at each refit (index: refit as-of); NaN where
    it cannot be estimated (the feature was constant in the training rows, or a class never happened)."""
    elapsed_s: float

    @property
    def horizon(self) -> int:
        return self.labels.horizon

    def has_model(self) -> np.ndarray:
        return np.asarray(np.isfinite(self.model[:, 0]))


def _pipeline(c: float) -> object:
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=c, max_iter=2000),
    )


def refit_rows(labels: Labels, rules: CalibrationRules) -> np.ndarray:
    """Week indices where the model is refitted."""
    known = labelled_weeks(labels)
    ready = np.flatnonzero(known >= rules.min_labelled_weeks)
    if not len(ready):
        return np.zeros(0, dtype=np.int64)
    return np.arange(ready[0], len(known), rules.refit_weeks, dtype=np.int64)


def blend_weight(
    model: Float64Array, clim: Float64Array, labels: Labels, min_oos: int
) -> tuple[Float64Array, Float64Array]:
    """(weight, known out-of-sample calls) at each week: the Brier-optimal blend over calls known then."""
    y = labels.onehot()
    ok = np.isfinite(model[:, 0]) & np.isfinite(y[:, 0])
    d = np.where(ok[:, None], model - clim, 0.0)
    e = np.where(ok[:, None], clim - y, 0.0)
    n = _known_cumsum(ok.astype(np.float64), labels.horizon)
    w = weight_from_sums(
        (d * d).sum(axis=1), 2.0 * (d * e).sum(axis=1), ok.astype(np.float64), labels.horizon, min_oos
    )
    return w, n


def weight_from_sums(
    a: Float64Array, b: Float64Array, calls: Float64Array, horizon: int, min_oos: int
) -> Float64Array:
    """The blend weight at each week from per-week sums over calls: ``a`` = sum of ``|m - c|^2``, ``b`` =
    sum of ``2 (m - c).(c - y)``, ``calls`` the weeks' calls counted toward ``min_oos``; only weeks whose
    labels are known count. Brier(model) - Brier(base rates) over those calls is ``a + b`` (the quadratic
    at w = 1): the weight is 0 unless that is negative (the gate), else the minimiser ``-b / 2a`` clipped
    to [0, 1]."""
    a = _known_cumsum(a, horizon)
    b = _known_cumsum(b, horizon)
    n = _known_cumsum(calls, horizon)
    earned = (n >= min_oos) & (a + b < 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.clip(np.where(a > 0, -b / (2.0 * a), 0.0), 0.0, 1.0)
    return np.asarray(np.where(earned, w, 0.0))


def walk_forward(
    table: FeatureTable, labels: Labels, rules: CalibrationRules, prior: SizePrior | None = None
) -> WalkForward:
    """Fit, purge, predict and shrink week by week (see the module docstring)."""
    began = time.perf_counter()
    if not np.array_equal(table.asof, labels.asof):
        raise ValueError("feature table and labels must share the same weekly as-of dates")
    x = table.values()
    y = labels.cls
    n = len(y)
    expanding = climatology(labels)
    clim = expanding if prior is None else climatology(labels, (prior.bear, prior.bull))
    model = np.full((n, 3), np.nan)
    fitted_on = np.zeros(n)
    refits = refit_rows(labels, rules)
    with threadpool_limits(1):
        coef_rows = _fit_all(x, y, labels, clim, refits, model, fitted_on, rules.l2_c)
    weight, _ = blend_weight(model, clim, labels, rules.min_oos_weeks)
    has = np.isfinite(model[:, 0])
    prob = np.where(has[:, None], weight[:, None] * np.nan_to_num(model) + (1 - weight[:, None]) * clim, clim)
    coefs = pd.DataFrame(
        np.vstack(coef_rows) if coef_rows else np.zeros((0, x.shape[1])),
        index=table.frame.index[refits],
        columns=list(table.names),
    )
    return WalkForward(
        labels=labels,
        clim=clim,
        expanding=expanding,
        prior=prior,
        model=model,
        weight=np.where(has, weight, 0.0),
        prob=prob,
        labelled=labelled_weeks(labels),
        fitted_on=fitted_on,
        coefs=coefs,
        elapsed_s=time.perf_counter() - began,
    )


def _fit_all(
    x: Float64Array,
    y: Float64Array,
    labels: Labels,
    clim: Float64Array,
    refits: np.ndarray,
    model: Float64Array,
    fitted_on: Float64Array,
    c: float,
) -> list[Float64Array]:
    """Fill ``model`` and ``fitted_on`` block by block; return each refit's bull-minus-bear coefficients."""
    n = len(y)
    coef_rows: list[Float64Array] = []
    for k, r in enumerate(refits):
        train = labels.known_mask(int(r))
        stop = int(refits[k + 1]) if k + 1 < len(refits) else n
        pipe = _pipeline(c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            pipe.fit(x[train], y[train].astype(np.int64))  # type: ignore[attr-defined]
        proba = pipe.predict_proba(x[r:stop])  # type: ignore[attr-defined]
        classes = pipe.classes_.astype(np.int64)  # type: ignore[attr-defined]
        block = np.zeros((stop - r, 3))
        block[:, classes] = proba
        if len(classes) < 3:  # a class never seen in training: keep the base rates for this block
            block = clim[r:stop].copy()
        model[r:stop] = block
        fitted_on[r:stop] = train.sum()
        lr = pipe[-1]  # type: ignore[index]
        # NaN where no weight can be estimated: a class never happened, or the signal never varied
        coef = np.full(x.shape[1], np.nan)
        if len(classes) == 3:
            coef = lr.coef_[list(classes).index(BULL)] - lr.coef_[list(classes).index(BEAR)]
            coef = np.where(pipe[1].var_ > 0, coef, np.nan)  # type: ignore[index]
        coef_rows.append(np.asarray(coef, dtype=np.float64))
    return coef_rows
