"""Base rates of a single name's scenarios: the universe's outcome definitions on the subject's own history.

A regime ETF (vs SPY), or a stock the cross-section (``cross``) has no call for, carries its own base
rates only, and they are its probabilities (``single_name_rates``): one pair's overlapping weekly outcomes
are too few to fit a model and let it earn a weight out of sample.

* weekly as-of dates of the data cut at the as-of (``backtest.calendar.weekly_asof``; a mid-week as-of is
  answered by the week before, as for the universe);
* band ``k x`` the trailing ``band_window``-day volatility of the subject/benchmark ratio ``x sqrt(h/52)``,
  known at each week (``outcomes.pair_band``);
* labels known by the as-of (the data is cut there, so a label whose horizon ends later does not exist)
  and the expanding climatology over them (``outcomes.climatology``, one pseudo-count per class). IWM
  against SPY is the universe's own pair: with the size prior (``prior.prior_for``) it gets the universe's
  base rates exactly.

Below ``MIN_BASE_RATE_WEEKS`` known labels the rates are still the probabilities (a measured frequency,
however few, never the agents' evidence score) and the note says how few outcomes they rest on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from rotascope._typing import DateArray, Float64Array
from rotascope.backtest.calendar import weekly_asof
from rotascope.calibration.call import calibration_record
from rotascope.calibration.outcomes import (
    CLASSES,
    Labels,
    class_means,
    climatology,
    labelled_weeks,
    outcome_sentence,
    weekly_labels,
)
from rotascope.calibration.prior import SizePrior, prior_for
from rotascope.calibration.service import BIN, bin_record
from rotascope.errors import DataError
from rotascope.records import Analysis, BaseRates, Calibration, TrackRecord, rnd
from rotascope.regime.thresholds import CalibrationRules

MIN_BASE_RATE_WEEKS = 52
"""Known outcomes (a year of weekly labels) below which a name's note says its base rates rest on too few."""
NO_MODEL = "No calibrated model for single names"
"""Why a name's probabilities are its base rates (the first words of the note)."""


def _base_rate_record(
    labels: Labels, rates: Float64Array, i: int, k: int, start: np.datetime64
) -> TrackRecord:
    """How the subject's own base-rate calls of scenario ``k`` in the same 10-point bin did, on labels known
    at week ``i`` (calls from ``evaluate_from``)."""
    p = float(rates[i, k])
    lo = min(np.floor(p / BIN) * BIN, 1 - BIN)
    rows = labels.known_mask(i) & (labels.asof >= start)
    same = (rates[rows, k] >= lo) & (rates[rows, k] < lo + BIN + (1e-9 if lo + BIN >= 1 else 0))
    hits = labels.onehot()[rows, k][same]
    return bin_record(k, float(lo), len(hits), float(hits.mean()) if len(hits) else None)


@dataclass(frozen=True)
class _Known:
    """What the subject's history tells at the as-of: its labels, the latest week's band and base rates."""

    weeks: npt.NDArray[np.datetime64]
    n: int = 0
    band: float = float("nan")
    rates: Float64Array | None = None
    history: Float64Array | None = None
    labels: Labels | None = None
    first: date | None = None


def _known(
    cal: npt.NDArray[np.datetime64],
    subject_close: Float64Array,
    benchmark_close: Float64Array,
    as_of: date,
    rules: CalibrationRules,
    prior: SizePrior | None,
) -> _Known:
    """The weekly labels of the data cut at the as-of and the latest week's band, known-outcome count and
    base rates (the climatology, with the size prior where the pair has one)."""
    h = rules.default_horizon
    end = int(np.searchsorted(cal, np.datetime64(as_of, "D"), side="right"))
    weeks = weekly_asof(cal[:end])
    if not len(weeks):
        return _Known(weeks)
    labels = weekly_labels(
        cal[:end], subject_close[:end], benchmark_close[:end], weeks, h, rules.band_k, rules.band_window
    )
    i = len(weeks) - 1
    history = climatology(labels, None if prior is None else (prior.bear, prior.bull))
    known = np.flatnonzero(labels.known_mask(i))
    return _Known(
        weeks=weeks,
        n=int(labelled_weeks(labels)[i]),
        band=float(labels.band[i]),
        rates=history[i],
        history=history,
        labels=labels,
        first=weeks[known[0]].astype(date) if len(known) else None,
    )


def _how(subject: str, benchmark: str, rates: Float64Array, prior: SizePrior | None) -> str:
    """The base rates in words (with the size prior's share where it applies)."""
    bear, base, bull = (float(v) for v in rates)
    return (
        f"{subject} beat {benchmark} by more than the band in {bull:.0%}, lagged by more in {bear:.0%} "
        f"and ended within it in {base:.0%}"
        if prior is None
        else f"{subject} ended within the band in {base:.0%}; the other {1 - base:.0%} is split "
        f"bull {bull:.0%} / bear {bear:.0%} counting these outcomes and {prior.text()}"
    )


def _note(k: _Known, pair: str, week: date, how: str, model_reason: str, rules: CalibrationRules) -> str:
    """Why the probabilities are base rates (or why there are none), with the counts they rest on."""
    h, n, band, first = rules.default_horizon, k.n, k.band, k.first
    has_band = bool(np.isfinite(band)) and k.rates is not None
    if has_band and n >= MIN_BASE_RATE_WEEKS:
        return (
            f"{model_reason}; these are base rates: in {n} {h}-week outcomes of "
            f"{pair} known by {week} (since {first}), {how} (band {band:.1%} = {rules.band_k:g} x trailing "
            f"{rules.band_window}-day pair volatility x sqrt({h}/52)). The scenario probabilities are these "
            f"base rates: one pair's {n} overlapping {h}-week outcomes (about {n // h} independent) are "
            "too few to fit a model and then let it earn a weight out of sample: the desk view stands aside."
        )
    if has_band:
        return (
            f"No calibrated call: {n} labelled {h}-week outcomes of {pair} known by {week}, fewer than the "
            f"{MIN_BASE_RATE_WEEKS} a call needs; showing base rates: {how} (one pseudo-count per outcome "
            f"added to the {n} known; band {band:.1%} = {rules.band_k:g} x trailing {rules.band_window}-day "
            f"pair volatility x sqrt({h}/52)). The evidence has no measured edge here: the desk view stands "
            "aside."
        )
    return (
        f"No calibrated call and no base rates: {pair} has fewer than {rules.band_window} days of "
        f"closes for an outcome band at {week}."
    )


def _base_rate_calibration(
    labels: Labels,
    history: Float64Array,
    rates: Float64Array,
    k: _Known,
    subject: str,
    benchmark: str,
    note: str,
    rules: CalibrationRules,
) -> Calibration:
    """The desk's call on the base rates: probabilities = the rates, model weight 0, the skill of the
    (prior-shrunk) rates over the plain climatology and each scenario's own track record."""
    h, n, band = rules.default_horizon, k.n, k.band
    enough = n >= MIN_BASE_RATE_WEEKS
    pair = f"{subject} vs {benchmark}"
    i = len(k.weeks) - 1
    means = class_means(labels)[i]
    start = np.datetime64(rules.evaluate_from, "D")
    rows = labels.known_mask(i) & (labels.asof >= start)
    calls = int(rows.sum())
    y = labels.onehot()[rows]
    plain = float(((climatology(labels)[rows] - y) ** 2).sum())
    shown = float(((history[rows] - y) ** 2).sum())
    edge = (
        f"{pair}: no model, so no measurable edge to show; the probabilities are the base rates (one pair's "
        f"{n} overlapping {h}-week outcomes, about {n // h} independent, are too few to fit a model and then "
        "let it earn a weight out of sample)."
        if enough
        else note
    )
    return calibration_record(
        subject=subject,
        benchmark=benchmark,
        horizon=h,
        band=band,
        probs=rates,
        base_rates=rates,
        means=means,
        weight=0.0,
        skill=1.0 - shown / plain if plain > 0 else None,
        model_skill=None,
        n_oos=calls,
        labelled=n,
        min_labelled=MIN_BASE_RATE_WEEKS,
        track_records=[_base_rate_record(labels, history, i, c, start) for c in range(3)],
        round_trip_cost=rules.round_trip_cost,
        base_rate_source=note,
        note=edge,
    )


def single_name_rates(
    calendar: DateArray,
    subject_close: Float64Array,
    benchmark_close: Float64Array,
    as_of: date,
    subject: str,
    benchmark: str,
    rules: CalibrationRules,
    model_reason: str = "",
) -> tuple[BaseRates, Calibration | None]:
    """The base rates and the desk's call on them: probabilities = the base rates, model weight 0 (no model
    for one pair: the note says why, ``model_reason`` its first words), each scenario's own track record;
    no call only when no outcome band is known at the as-of. Below ``MIN_BASE_RATE_WEEKS`` known outcomes
    the note says how few there are."""
    model_reason = model_reason or NO_MODEL
    h = rules.default_horizon
    prior = prior_for(subject, benchmark, h, rules)
    cal = np.asarray(calendar).astype("datetime64[D]")
    k = _known(cal, subject_close, benchmark_close, as_of, rules, prior)
    n, band, rates, history, labels = k.n, k.band, k.rates, k.history, k.labels
    week = k.weeks[-1].astype(date) if len(k.weeks) else as_of
    has_band = bool(np.isfinite(band)) and rates is not None
    how = _how(subject, benchmark, rates, prior) if has_band and rates is not None else ""
    note = _note(k, f"{subject} vs {benchmark}", week, how, model_reason, rules)
    out = BaseRates(
        subject=subject,
        benchmark=benchmark,
        horizon_weeks=h,
        band=rnd(band) if has_band else None,
        outcomes=[outcome_sentence(c, subject, benchmark, band, h) for c in CLASSES] if has_band else [],
        base_rates=[rnd(float(v)) or 0.0 for v in rates] if has_band and rates is not None else None,
        labelled_weeks=n,
        min_labelled_weeks=MIN_BASE_RATE_WEEKS,
        first_labelled=k.first,
        note=note,
    )
    if not (has_band and rates is not None and history is not None and labels is not None):
        return out, None
    return out, _base_rate_calibration(labels, history, rates, k, subject, benchmark, note, rules)


def base_rate_call(
    calendar: DateArray,
    subject_close: Float64Array,
    benchmark_close: Float64Array,
    as_of: date,
    subject: str,
    benchmark: str,
    rules: CalibrationRules,
    model_reason: str = NO_MODEL,
) -> Calibration:
    """The desk's call on the base rates alone (``single_name_rates``), for a caller that has no
    calibrated call; one sentence when not even an outcome band is known."""
    rates, call = single_name_rates(
        calendar, subject_close, benchmark_close, as_of, subject, benchmark, rules, model_reason
    )
    if call is None:
        raise DataError(rates.note)
    return call


def with_base_rates(analysis: Analysis, rates: BaseRates) -> Analysis:
    """The analysis with each scenario's outcome, horizon, band and base rate; the note in its rationale."""
    order: dict[str, int] = {name: k for k, name in enumerate(CLASSES)}
    d = analysis.decision
    items = [
        s.model_copy(
            update={
                "outcome": rates.outcomes[order[s.name]] if rates.outcomes else "",
                "horizon_weeks": rates.horizon_weeks,
                "band": rates.band,
                "base_rate": rates.base_rates[order[s.name]] if rates.base_rates is not None else None,
            }
        )
        for s in d.scenarios
    ]
    decision = d.model_copy(
        update={"scenarios": items, "rationale": [*d.rationale, rates.note], "base_rates": rates}
    )
    return analysis.model_copy(update={"decision": decision})
