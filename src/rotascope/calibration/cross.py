"""Cross-sectional calibration of single names: every member's weekly calls, pooled, walk-forward.

For a Russell 2000 stock ``s``, a weekly as-of ``t`` and a horizon of ``h`` weekly steps:

* relative return ``R = r_s(t, t+h) - median_j r_j(t, t+h)`` over the members ``j`` on the list in force
  at ``t`` (the point-in-time list where one is known, today's members before the first) that have both
  closes; the common drift of the member set, survivorship's included, cancels in the difference;
* band ``b = k x sigma x sqrt(h / 52)``, ``sigma`` the annualised volatility of the daily log ``s``/IWM ratio
  over the ``band_window`` days up to ``t``, ``k`` the universe's ``band_k`` (as ``outcomes.pair_band``);
* bull ``R > b``, bear ``R < -b``, base in between. A label is known at week ``i`` when ``j + h <= i``.

Features (known at ``t``): the price evidence the member debate judges (``agents.stock.price_measures``:
trend vs the 50- and 200-day averages, 3-month return, the ``s``/IWM ratio vs its 50-day average, drawdown
from the 52-week high, 63-day volatility), each as its percentile rank among the names with a value that
week. Company and headline claims exist for too few weeks to learn from and are left out.

Walk-forward (``model.py``'s method, pooled over names): base rates are the frequency of each class among
the member labels known at ``i`` (one pseudo-count per class); a multinomial logistic is refitted every
``members_refit_weeks`` on rows known at the refit (the purge), on an even subsample of at most
``members_train_rows``; the blend weight is the Brier-optimal one over the model's earlier out-of-sample
calls, zero unless the model beat the base rates over at least ``members_min_oos_weeks`` weeks of calls
(the gate). Everything is arrays over (weeks x names); the result is cached on disk (float32) per data
fingerprint, thresholds and ``VERSION``, and memoised per monitor.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from rotascope._code import code_digest
from rotascope._typing import BoolArray, DateArray, Float64Array
from rotascope.backtest.calendar import weekly_asof
from rotascope.calibration.model import weight_from_sums
from rotascope.calibration.outcomes import BASE, BEAR, BULL, _known_cumsum
from rotascope.errors import DataError
from rotascope.indicators.kernels import rolling_max
from rotascope.monitor.run import Monitor
from rotascope.regime.thresholds import CalibrationRules
from rotascope.store.cache import discard, put_file

VERSION = "cross-2"
"""Bumped when the features, outcomes or model of the cross-section change (invalidates the cache)."""
FEATURES = ("ret_3m", "vs_sma50", "vs_sma200", "rel_vs_sma50", "drawdown", "vol_63d")
BENCHMARK = "median member"
"""What a name's outcome is measured against (its band comes from the name/IWM ratio): the CSV's word."""
OUTCOME_BENCHMARK = "the median Russell 2000 member"
"""The same, in the outcome sentences."""
BIN = 0.1
BINS = 10
START = np.datetime64("2000-01-01", "D")
"""Member closes start in 2000; earlier weekly rows have nothing to label."""
LOOKBACK = 260
"""Daily rows before the first weekly row that its features read (a 252-day high, a 200-day average)."""


@dataclass(frozen=True)
class Universe:
    """Member closes (daily rows x names) and which names were on the list in force at each date."""

    symbols: tuple[str, ...]
    n_current: int
    """Columns ``< n_current`` are today's members (the names `debate --all` ranks)."""
    close: Float64Array
    listed: BoolArray
    """(daily rows x names): on the Russell 2000 list in force (today's members before the first list)."""
    has_lists: bool
    first_list: np.datetime64 | None


def universe_of(monitor: Monitor) -> Universe:
    """Today's members and the priced former members with their point-in-time lists (today's alone when
    the store has no dated lists)."""
    data = monitor.panel.data
    pit = data.pit.get("R2000")
    cal = monitor.panel.calendar
    if pit is None:
        n = len(data.members.symbols)
        listed = np.ones((len(cal), n), dtype=bool)
        return Universe(tuple(data.members.symbols), n, data.members.float64(), listed, False, None)
    first = pit.known_at[0] if len(pit.known_at) else None
    return Universe(
        tuple(pit.close.symbols), pit.n_current, pit.close.float64(), pit.mask(cal), first is not None, first
    )


def cross_rank(x: Float64Array) -> Float64Array:
    """Percentile rank of each finite value within its row, centred and scaled to unit variance (a uniform
    on -0.5..0.5 times sqrt(12)); NaN stays NaN."""
    r = pd.DataFrame(x).rank(axis=1, pct=True).to_numpy(dtype=np.float64)
    n = np.isfinite(x).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((r - 0.5 * (1.0 + 1.0 / np.maximum(n, 1))) * np.sqrt(12.0))


def weekly_rows(calendar: DateArray) -> tuple[DateArray, np.ndarray]:
    """Weekly as-of dates from 2000 on and their rows in ``calendar``."""
    cal = np.asarray(calendar).astype("datetime64[D]")
    weeks = weekly_asof(cal)
    weeks = weeks[weeks >= START]
    return weeks, np.searchsorted(cal, weeks)


def _at(panel: Float64Array, rows: np.ndarray) -> Float64Array:
    """Rows of a daily panel (NaN for a negative row)."""
    out = panel[np.maximum(rows, 0)].astype(np.float64)
    out[rows < 0] = np.nan
    return np.asarray(out)


def trailing_at(
    x: Float64Array, rows: np.ndarray, n: int, squares: bool = False
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """(sum, sum of squares or 0, count of finite values) of each column over the ``n`` rows ending at each
    of ``rows``, from running sums (O(rows x columns), not O(x n)): only the weekly rows are read."""
    finite = np.isfinite(x)
    v = np.where(finite, x, 0.0)
    zero = np.zeros((1, x.shape[1]))
    hi, lo = rows + 1, np.maximum(rows + 1 - n, 0)

    def window(a: Float64Array) -> Float64Array:
        c = np.concatenate([zero, np.cumsum(a, axis=0)])
        return np.asarray(c[hi] - c[lo])

    return window(v), window(v * v) if squares else np.zeros(1), window(finite.astype(np.float64))


def mean_at(x: Float64Array, rows: np.ndarray, n: int) -> Float64Array:
    """Trailing ``n``-row mean at ``rows``; NaN unless all ``n`` values are finite (as ``kernels.sma``)."""
    s, _, k = trailing_at(x, rows, n)
    return np.asarray(np.where((k == n) & (rows + 1 >= n)[:, None], s / n, np.nan))


def vol_at(close: Float64Array, rows: np.ndarray, n: int) -> Float64Array:
    """Annualised sample std (ddof 1) of the last ``n`` daily log returns at ``rows``; NaN unless all ``n``
    are known (as ``volatility.realized_vol``, which a test holds it to)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        lr = np.diff(np.log(np.where(close > 0, close, np.nan)), axis=0, prepend=np.nan)
    s, q, k = trailing_at(lr, rows, n, squares=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (q - s * s / n) / (n - 1)
    return np.asarray(
        np.where((k == n) & (rows + 1 >= n)[:, None], np.sqrt(np.maximum(var, 0.0)) * np.sqrt(252), np.nan)
    )


def member_features(close: Float64Array, iwm: Float64Array, rows: np.ndarray) -> Float64Array:
    """(features x weeks x names) cross-sectional ranks of the price evidence at each weekly row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = close / iwm[:, None]
        c = _at(close, rows)
        raw = {
            "ret_3m": c / _at(close, rows - 63) - 1.0,
            "vs_sma50": c / mean_at(close, rows, 50) - 1.0,
            "vs_sma200": c / mean_at(close, rows, 200) - 1.0,
            "rel_vs_sma50": _at(rel, rows) / mean_at(rel, rows, 50) - 1.0,
            "drawdown": c / _at(rolling_max(close, 252), rows) - 1.0,
            "vol_63d": vol_at(close, rows, 63),
        }
    return np.stack([cross_rank(np.where(np.isfinite(raw[f]), raw[f], np.nan)) for f in FEATURES])


@dataclass(frozen=True)
class CrossLabels:
    """Labels of one horizon over (weeks x names); ``cls`` NaN where the outcome is not known."""

    horizon: int
    rel: Float64Array
    band: Float64Array
    cls: Float64Array


def cross_labels(
    close_w: Float64Array, listed_w: BoolArray, ratio_vol_w: Float64Array, h: int, k: float
) -> CrossLabels:
    """LABELS (future returns) of every (week, name) against the median listed member (module docstring)."""
    n = len(close_w)
    fwd = np.full(close_w.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if h < n:
            fwd[: n - h] = close_w[h:] / close_w[: n - h] - 1.0
    fwd = np.where(np.isfinite(fwd), fwd, np.nan)
    pool = np.where(listed_w, fwd, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a week with no forward return: NaN median
        med = np.nanmedian(pool, axis=1)
    rel = fwd - med[:, None]
    band = k * ratio_vol_w * np.sqrt(h / 52.0)
    ok = np.isfinite(rel) & np.isfinite(band)
    cls = np.full(rel.shape, np.nan)
    cls[ok] = np.where(rel[ok] > band[ok], BULL, np.where(rel[ok] < -band[ok], BEAR, BASE))
    return CrossLabels(h, rel, band, cls)


def onehot(cls: Float64Array) -> Float64Array:
    """(..., 3) indicator of the class; NaN where unknown."""
    out = np.full((*cls.shape, 3), np.nan)
    ok = np.isfinite(cls)
    out[ok] = 0.0
    out[ok, cls[ok].astype(np.int64)] = 1.0
    return out


@dataclass(frozen=True)
class CrossRun:
    """One horizon's pooled walk-forward: every (week, name) call and the record behind it."""

    horizon: int
    rel: Float64Array
    band: Float64Array
    cls: Float64Array
    clim: Float64Array
    """(weeks x 3) pooled base rates known at each week."""
    weight: Float64Array
    """(weeks,) blend weight (0 = the base rates)."""
    prob: Float64Array
    """(weeks x names x 3) the calibrated probabilities."""
    unit_means: Float64Array
    """(weeks x 3) mean of R / band of each class among labels known at each week."""
    labelled: Float64Array
    """(weeks,) member labels known at each week."""
    brier_sums: Float64Array
    """(weeks x 6) per week over out-of-sample calls with a label: calls, Brier of the calibrated
    probabilities, of the base rates; the model's calls, its Brier and its base rates' Brier."""
    record: Float64Array
    """(weeks x 3 x BINS x 2) per week: calls and hits of each scenario's 10-point bin (from
    evaluate_from)."""

    def known(self, table: Float64Array) -> Float64Array:
        """Row i: the sum of ``table`` over weeks whose labels are known at i."""
        flat = table.reshape(len(table), -1)
        return _known_cumsum(flat, self.horizon).reshape(table.shape)


@dataclass(frozen=True)
class CrossCalibration:
    """The pooled walk-forward of every calibrated horizon over the members' weekly as-of dates."""

    asof: DateArray
    symbols: tuple[str, ...]
    n_current: int
    listed: BoolArray
    """(weeks x names) on the list in force at the as-of."""
    has_lists: bool
    runs: dict[int, CrossRun]
    rules: CalibrationRules
    elapsed_s: float

    def week(self, day: np.datetime64) -> int:
        return int(np.searchsorted(self.asof, day, side="right")) - 1

    def column(self, symbol: str) -> int | None:
        try:
            return self.symbols.index(symbol)
        except ValueError:
            return None


def _fit_predict(
    x: Float64Array,
    y: Float64Array,
    listed: BoolArray,
    clim: Float64Array,
    h: int,
    rules: CalibrationRules,
) -> Float64Array:
    """(weeks x names x 3) model probabilities out of sample; refits on rows known at each refit week."""
    _, w, n = x.shape
    model = np.full((w, n, 3), np.nan)
    rows_x = x.transpose(1, 2, 0)  # weeks x names x features
    have: BoolArray = np.asarray(np.isfinite(rows_x).any(axis=2))
    labelled: BoolArray = np.asarray(np.isfinite(y) & listed)
    per_week = labelled.sum(axis=1)
    known_weeks = _known_cumsum((per_week > 0).astype(np.float64), h)
    ready = np.flatnonzero(known_weeks >= rules.members_min_weeks)
    if not len(ready):
        return model
    refits = np.arange(ready[0], w, rules.members_refit_weeks)
    lr = LogisticRegression(C=rules.l2_c, max_iter=500, warm_start=True)
    filled = np.nan_to_num(rows_x)  # a missing rank is the median name's (0)
    for k, r in enumerate(refits):
        stop = int(refits[k + 1]) if k + 1 < len(refits) else w
        train = labelled[: r - h + 1] & have[: r - h + 1]
        wi, ni = np.nonzero(train)
        step = max(1, -(-len(wi) // rules.members_train_rows))
        wi, ni = wi[::step], ni[::step]
        classes = np.unique(y[wi, ni]).astype(np.int64)
        if len(classes) < 3:
            model[r:stop] = clim[r:stop, None, :]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            lr.fit(filled[wi, ni], y[wi, ni].astype(np.int64))
        z = filled[r:stop] @ lr.coef_.T + lr.intercept_
        z -= z.max(axis=2, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=2, keepdims=True)
        model[r:stop] = np.where(have[r:stop, :, None], p, np.nan)
    return model


def run_horizon(
    x: Float64Array,
    labels: CrossLabels,
    listed: BoolArray,
    asof: DateArray,
    rules: CalibrationRules,
) -> CrossRun:
    """Base rates, model, gate and blend of one horizon (see the module docstring)."""
    h = labels.horizon
    y = np.nan_to_num(onehot(np.where(listed, labels.cls, np.nan)))
    counts = _known_cumsum(y.sum(axis=1), h)
    clim = (counts + 1.0) / (counts.sum(axis=1, keepdims=True) + 3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(np.isfinite(labels.cls), labels.rel / labels.band, 0.0)
    sums = _known_cumsum((y * unit[..., None]).sum(axis=1), h)
    unit_means = np.where(counts > 0, sums / np.maximum(counts, 1.0), 0.0)
    with threadpool_limits(1):
        model = _fit_predict(x, labels.cls, listed, clim, h, rules)
    has = np.isfinite(model[..., 0])
    lab = np.isfinite(labels.cls) & listed
    ok = has & lab
    c3 = np.broadcast_to(clim[:, None, :], model.shape)
    d = np.where(ok[..., None], model - c3, 0.0)
    e = np.where(ok[..., None], c3 - y, 0.0)
    weeks_with = (ok.sum(axis=1) > 0).astype(np.float64)
    weight = weight_from_sums(
        (d * d).sum(axis=(1, 2)), 2.0 * (d * e).sum(axis=(1, 2)), weeks_with, h, rules.members_min_oos_weeks
    )
    prob = np.where(
        has[..., None], weight[:, None, None] * np.nan_to_num(model) + (1 - weight[:, None, None]) * c3, c3
    )
    prob = _f32(prob)
    eligible = lab & (asof >= np.datetime64(rules.evaluate_from, "D"))[:, None]

    def sq(p: Float64Array) -> Float64Array:
        return np.asarray(((p - y) ** 2).sum(axis=2))

    bm = np.where(eligible & has, sq(np.nan_to_num(model)), 0.0)
    brier_sums = np.stack(
        [
            eligible.sum(axis=1).astype(np.float64),
            np.where(eligible, sq(prob), 0.0).sum(axis=1),
            np.where(eligible, sq(c3), 0.0).sum(axis=1),
            (eligible & has).sum(axis=1).astype(np.float64),
            bm.sum(axis=1),
            np.where(eligible & has, sq(c3), 0.0).sum(axis=1),
        ],
        axis=1,
    )
    record = _bin_record(prob, y, eligible)
    return CrossRun(
        horizon=h,
        rel=_f32(labels.rel),
        band=_f32(labels.band),
        cls=labels.cls,
        clim=clim,
        weight=weight,
        prob=prob,
        unit_means=unit_means,
        labelled=_known_cumsum(lab.sum(axis=1).astype(np.float64), h),
        brier_sums=brier_sums,
        record=record,
    )


def _f32(x: Float64Array) -> Float64Array:
    """The cached precision (float32), so a cold run and a cached one give the same numbers."""
    return np.asarray(x.astype(np.float32).astype(np.float64))


def _bin_record(prob: Float64Array, y: Float64Array, eligible: BoolArray) -> Float64Array:
    """(weeks x 3 x BINS x 2): calls and hits per week, scenario and 10-point bin of the probability."""
    w = prob.shape[0]
    b = np.clip(np.floor(prob / BIN), 0, BINS - 1).astype(np.int64)
    week = np.broadcast_to(np.arange(w)[:, None, None], b.shape)
    k = np.broadcast_to(np.arange(3)[None, None, :], b.shape)
    idx = (week * 3 + k) * BINS + b
    m = np.broadcast_to(eligible[..., None], b.shape)
    size = w * 3 * BINS
    calls = np.bincount(idx[m], minlength=size).astype(np.float64)
    hits = np.bincount(idx[m], weights=y[m], minlength=size)
    return np.stack([calls, hits], axis=1).reshape(w, 3, BINS, 2)


def cross_calibrate(monitor: Monitor) -> CrossCalibration:
    """Features, labels and the pooled walk-forward of every calibrated horizon (no cache)."""
    began = time.perf_counter()
    rules = monitor.thresholds.calibration
    uni = universe_of(monitor)
    cal = monitor.panel.calendar
    asof, rows = weekly_rows(cal)
    if not len(asof) or not len(uni.symbols):
        raise DataError("Too little member history to calibrate single names.")
    first = max(int(rows[0]) - LOOKBACK, 0)  # the daily rows any weekly row reads
    close, rows = uni.close[first:], rows - first
    iwm = monitor.panel.data.etf.column("IWM")[first:]
    x = member_features(close, iwm, rows)
    close_w = _at(close, rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio_vol = vol_at(close / iwm[:, None], rows, rules.band_window)
    listed_w = uni.listed[first:][rows]
    runs = {
        h: run_horizon(x, cross_labels(close_w, listed_w, ratio_vol, h, rules.band_k), listed_w, asof, rules)
        for h in rules.horizons
    }
    return CrossCalibration(
        asof=asof,
        symbols=uni.symbols,
        n_current=uni.n_current,
        listed=listed_w,
        has_lists=uni.has_lists,
        runs=runs,
        rules=rules,
        elapsed_s=time.perf_counter() - began,
    )


_F32 = ("rel", "band", "cls", "prob")
"""(weeks x names) arrays stored as float32: their cold values are float32-rounded already (``_f32``)."""
_ARRAYS = ("rel", "band", "cls", "clim", "weight", "prob", "unit_means", "labelled", "brier_sums", "record")


def cache_key(monitor: Monitor) -> str:
    cal = monitor.panel.calendar
    parts = [VERSION, code_digest(), monitor.panel.data.fingerprint, monitor.thresholds.model_dump_json()]
    parts.append(str(len(cal)))
    parts.append(str(cal[-1]) if len(cal) else "")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _put(path: Path, cc: CrossCalibration) -> None:
    """Write the calibration as one .npz (float32 arrays), atomically (best effort: :func:`put_file`)."""
    arrays: dict[str, np.ndarray] = {
        "asof": cc.asof,
        "symbols": np.array(cc.symbols),
        "meta": np.array([cc.n_current, int(cc.has_lists)]),
        "listed": cc.listed,
        "horizons": np.array(sorted(cc.runs)),
    }
    for h, run in cc.runs.items():
        for name in _ARRAYS:
            v = getattr(run, name)
            arrays[f"{h}_{name}"] = v.astype(np.float32) if name in _F32 else v
    put_file(path, lambda fh: np.savez(fh, **arrays))  # type: ignore[arg-type]


def _get(path: Path, rules: CalibrationRules) -> CrossCalibration | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            runs = {
                int(h): CrossRun(
                    horizon=int(h), **{n: np.asarray(npz[f"{h}_{n}"], dtype=np.float64) for n in _ARRAYS}
                )
                for h in npz["horizons"]
            }
            meta = npz["meta"]
            return CrossCalibration(
                asof=npz["asof"].astype("datetime64[D]"),
                symbols=tuple(str(v) for v in npz["symbols"]),
                n_current=int(meta[0]),
                listed=npz["listed"].astype(bool),
                has_lists=bool(meta[1]),
                runs=runs,
                rules=rules,
                elapsed_s=0.0,
            )
    except Exception as exc:  # any unreadable, truncated or mismatched file is a miss (issue 21)
        discard(path, exc)
        return None


def _prune(folder: Path, keep: Path, newest: int = 2) -> None:
    """Delete all but the ``newest`` cross-*.npz files (~130 MB each; every update brings a new key)."""
    files = sorted(folder.glob("cross-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [f for f in files if f != keep][newest - 1 :]:
        with contextlib.suppress(OSError):
            old.unlink()


_MEMO: dict[int, tuple[Monitor, CrossCalibration]] = {}


def cross_calibration_of(monitor: Monitor) -> CrossCalibration:
    """The monitor's cross-sectional calibration: once per monitor object in this process, and on disk
    (``<cache>/cross-<key>.npz``) per data fingerprint, thresholds and ``VERSION``."""
    hit = _MEMO.get(id(monitor))
    if hit is not None and hit[0] is monitor:
        return hit[1]
    path = monitor.cache_dir / f"cross-{cache_key(monitor)}.npz" if monitor.cache_dir is not None else None
    cc = _get(path, monitor.thresholds.calibration) if path is not None else None
    if cc is None:
        cc = cross_calibrate(monitor)
        if path is not None:
            _put(path, cc)
            _prune(path.parent, path)
    _MEMO.clear()
    _MEMO[id(monitor)] = (monitor, cc)
    return cc
