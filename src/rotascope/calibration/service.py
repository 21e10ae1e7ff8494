"""Calibrate once per monitor, then answer "what are the probabilities at this as-of, and their record?".

``calibrate`` builds (or reads from the disk cache) the weekly feature table, labels IWM against SPY at
each calibrated horizon and runs the walk-forward (``model.walk_forward``). ``call_at`` turns one week of
it into a typed ``Calibration`` record: probabilities, base rates, band, the expected relative return, the
model's weight, its out-of-sample Brier skill to date and the track record of calls like this one. Every
number in it uses only labels known at the as-of (``j + h <= t``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from rotascope._typing import Float64Array
from rotascope.calibration.call import calibration_record
from rotascope.calibration.features import ExtraFactory, FeatureTable, features
from rotascope.calibration.model import WalkForward, walk_forward
from rotascope.calibration.outcomes import (
    CLASSES,
    UNIVERSE_PAIR,
    check_horizon,
    class_means,
    weekly_labels,
)
from rotascope.calibration.prior import prior_for
from rotascope.errors import DataError
from rotascope.monitor.run import Monitor
from rotascope.records import Calibration, TrackRecord, rnd
from rotascope.regime.thresholds import CalibrationRules

SUBJECT, BENCHMARK = UNIVERSE_PAIR
BIN = 0.1
"""Width of the probability bins of track records and reliability tables."""


@dataclass(frozen=True)
class Calibrated:
    """The walk-forward of every calibrated horizon over one monitor's weekly as-of dates."""

    table: FeatureTable
    runs: dict[int, WalkForward]
    rules: CalibrationRules

    @property
    def elapsed_s(self) -> float:
        return sum(r.elapsed_s for r in self.runs.values())

    def week(self, as_of: date) -> int:
        """Row of the last weekly as-of <= ``as_of`` (a mid-week as-of is answered by the week before)."""
        i = int(np.searchsorted(self.table.asof, np.datetime64(as_of, "D"), side="right")) - 1
        if i < 0:
            raise DataError(f"No calibrated week on or before {as_of}; the first is {self.table.asof[0]}.")
        return i


def calibrate(
    monitor: Monitor,
    extra: ExtraFactory | None = None,
    cache_dir: Path | None = None,
    horizons: tuple[int, ...] | None = None,
) -> Calibrated:
    """Features (cached) + labels + walk-forward for each horizon (default: the thresholds file's)."""
    rules = monitor.thresholds.calibration
    wanted = rules.horizons if horizons is None else horizons
    for h in wanted:
        check_horizon(h, rules.horizons)
    if rules.band_k <= 0:
        raise DataError(f"[calibration] band_k must be above 0, got {rules.band_k:g}.")
    table = features(monitor, extra, cache_dir)
    if len(table.asof) == 0:
        raise DataError("Too little history to calibrate: no weekly as-of date has a year of data behind it.")
    etf = monitor.panel.data.etf
    runs: dict[int, WalkForward] = {}
    for h in wanted:
        labels = weekly_labels(
            monitor.panel.calendar,
            etf.column(SUBJECT),
            etf.column(BENCHMARK),
            table.asof,
            h,
            rules.band_k,
            rules.band_window,
        )
        runs[h] = walk_forward(table, labels, rules, prior_for(SUBJECT, BENCHMARK, h, rules))
    return Calibrated(table, runs, rules)


def brier(p: Float64Array, y: Float64Array) -> Float64Array:
    """Multi-class Brier score of each row: sum over bear/base/bull of (p - outcome)^2."""
    return np.asarray(((p - y) ** 2).sum(axis=1))


def oos_rows(cal: Calibrated, h: int, i: int) -> np.ndarray:
    """Out-of-sample calls scored at week ``i``: from ``evaluate_from`` on, with labels known at ``i``."""
    wf = cal.runs[h]
    start = np.datetime64(cal.rules.evaluate_from, "D")
    return np.asarray(wf.labels.known_mask(i) & (cal.table.asof >= start))


def skill_to_date(cal: Calibrated, h: int, i: int, model: bool = False) -> tuple[float | None, int]:
    """(Brier skill, number of calls) over out-of-sample calls known at ``i``: of the calibrated
    probabilities against the plain expanding climatology, or with ``model=True`` of the model alone (weeks
    it had a fit) against the base rates it is blended with (the comparison its weight is learned from)."""
    wf = cal.runs[h]
    rows = oos_rows(cal, h, i) & (wf.has_model() if model else True)
    y = wf.labels.onehot()[rows]
    if not len(y):
        return None, 0
    ref = float(brier((wf.clim if model else wf.expanding)[rows], y).sum())
    shown = wf.model[rows] if model else wf.prob[rows]
    return (1.0 - float(brier(shown, y).sum()) / ref if ref > 0 else None), len(y)


def track_record(cal: Calibrated, h: int, i: int, k: int) -> TrackRecord:
    """Calls of scenario ``k`` in the same 10-point bin as week ``i``'s, scored on labels known at ``i``."""
    wf = cal.runs[h]
    p = float(wf.prob[i, k])
    lo = min(np.floor(p / BIN) * BIN, 1 - BIN)
    rows = oos_rows(cal, h, i)
    past = wf.prob[rows, k]
    same = (past >= lo) & (past < lo + BIN + (1e-9 if lo + BIN >= 1 else 0))
    hits = wf.labels.onehot()[rows, k][same]
    return bin_record(k, float(lo), len(hits), float(hits.mean()) if len(hits) else None)


def bin_record(k: int, lo: float, n: int, freq: float | None, calls: str = "") -> TrackRecord:
    """The track record of scenario ``k``'s 10-point bin from ``lo``: ``n`` calls, ``freq`` happened
    (``calls`` names them, e.g. "member calls")."""
    name = CLASSES[k]
    count = f"{n:,} {calls}" if calls else f"{n}"
    text = (
        f"P({name}) {lo:.0%}-{lo + BIN:.0%}: n = {count}, happened {freq:.0%}"
        if freq is not None
        else f"P({name}) {lo:.0%}-{lo + BIN:.0%}: no out-of-sample {calls or 'calls'} known yet"
    )
    return TrackRecord(
        scenario=name,
        bin_low=rnd(lo, 2) or 0.0,
        bin_high=rnd(lo + BIN, 2) or 0.0,
        n=n,
        happened=rnd(freq),
        text=text,
    )


def base_rate_source(wf: WalkForward, i: int) -> str:
    """Where week ``i``'s base rates come from, with the counts behind them."""
    labelled = int(wf.labelled[i])
    if wf.prior is None:
        return (
            f"Base rates: the frequency of each outcome among the {labelled:,} {SUBJECT} outcomes known then."
        )
    outside = 1.0 - float(wf.clim[i, 1])
    return (
        f"Base rates: how often {SUBJECT} ended outside the band ({outside:.0%}) is its own record of "
        f"{labelled:,} known outcomes; the bull vs bear split also counts {wf.prior.text()}."
    )


def call_at(cal: Calibrated, as_of: date, h: int | None = None) -> Calibration:
    """The calibrated call of the week of ``as_of`` at horizon ``h`` (default: the thresholds file's)."""
    horizon = check_horizon(cal.rules.default_horizon if h is None else h, tuple(cal.runs))
    wf = cal.runs[horizon]
    i = cal.week(as_of)
    rules = cal.rules
    probs = wf.prob[i]
    means = class_means(wf.labels)[i]
    band = float(wf.labels.band[i])
    if not np.isfinite(band):
        raise DataError(f"No outcome band at {as_of}: the pair needs {rules.band_window} days of closes.")
    skill, n_oos = skill_to_date(cal, horizon, i)
    model_skill, n_model = skill_to_date(cal, horizon, i, model=True)
    weight = float(wf.weight[i])
    labelled = int(wf.labelled[i])
    no_edge = weight <= 0  # the blend weight is learned from the model's own out-of-sample record
    if labelled < rules.min_labelled_weeks:
        note = (
            f"Only {labelled} labelled weeks known (the model needs {rules.min_labelled_weeks}): "
            "the probabilities are the base rates."
        )
    elif no_edge:
        note = (
            "The evidence has had no measurable edge out of sample"
            + (
                f" (the model's own Brier skill {model_skill:+.3f} against the base rates over "
                f"{n_model} calls)"
                if model_skill is not None
                else ""
            )
            + ": the probabilities are the base rates."
        )
    else:
        note = (
            f"The model carries weight {weight:.2f} (the rest is the base rates); out-of-sample Brier skill "
            f"{skill:+.3f} against the expanding climatology over {n_oos} calls."
        )
    return calibration_record(
        subject=SUBJECT,
        benchmark=BENCHMARK,
        horizon=horizon,
        band=band,
        probs=probs,
        base_rates=wf.clim[i],
        means=means,
        weight=weight,
        skill=skill,
        model_skill=model_skill,
        n_oos=n_oos,
        labelled=labelled,
        min_labelled=rules.min_labelled_weeks,
        track_records=[track_record(cal, horizon, i, k) for k in range(3)],
        round_trip_cost=rules.round_trip_cost,
        base_rate_source=base_rate_source(wf, i),
        note=note,
    )


_MEMO: dict[int, tuple[Monitor, Calibrated]] = {}


def calibration_of(monitor: Monitor, extra: ExtraFactory | None = None) -> Calibrated:
    """The monitor's calibration, computed once per monitor object in this process (and its feature table
    once per data + thresholds on disk, under the monitor's cache folder)."""
    hit = _MEMO.get(id(monitor))
    if hit is None or hit[0] is not monitor:
        _MEMO.clear()
        hit = (monitor, calibrate(monitor, extra, monitor.cache_dir))
        _MEMO[id(monitor)] = hit
    return hit[1]


def calibrated_call(monitor: Monitor, as_of: date, extra: ExtraFactory | None = None) -> Calibration | None:
    """``call_at`` on the monitor's calibration (``calibration_of``). None before the first weekly as-of
    with IWM data (there is no small-cap pair to label)."""
    cal = calibration_of(monitor, extra)
    if np.datetime64(as_of, "D") < cal.table.asof[0]:
        return None
    if not np.isfinite(cal.runs[cal.rules.default_horizon].labels.band[cal.week(as_of)]):
        return None  # the pair's first weeks: no band yet, so no outcome to calibrate
    return call_at(cal, as_of)
