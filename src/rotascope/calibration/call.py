"""The one builder of the ``Calibration`` record and the one expected relative return.

The universe (``service.call_at``), a Russell 2000 member (``name_call``) and a regime ETF or a name with
its own base rates only (``single``) all hand their arrays here, so the record's rounding, method, gate
and expected relative return are the same arithmetic whichever path asked.
"""

from __future__ import annotations

import numpy as np

from rotascope._typing import Float64Array
from rotascope.calibration.outcomes import CLASSES, outcome_sentence
from rotascope.records import Calibration, TrackRecord, rnd


def expected_relative_return(probs: Float64Array, means: Float64Array) -> Float64Array:
    """E[rel] = sum over bear/base/bull of p_i x m_i, per row (the last axis is bear, base, bull).

    ``m_i`` is the mean realised relative return of outcome i among the labels known at the as-of,
    measured against the benchmark the tilt is held against: that is what a probability-weighted
    expectation of the tilt's return means, and the desk rule compares it with the round-trip cost. The
    universe and the regime ETFs hold their pair (IWM vs SPY, KRE vs SPY), so ``m`` is the pair's own
    relative return. A member's outcome is measured against the MEDIAN member (so survivorship drift
    cancels) but a tilt is held against the cross-section, whose mean beats its median (single-name
    returns skew right): its ``m`` is measured against the cross-section's mean (``name_call``), so a
    call at the base rates expects 0 rather than the skew.
    """
    return np.asarray(np.asarray(probs * means).sum(axis=-1), dtype=np.float64)


def against_mean(means: Float64Array, rates: Float64Array) -> Float64Array:
    """Class means (last axis bear, base, bull) measured against the base-rate-weighted mean of them: a
    member's outcome means against the cross-section's mean instead of its median (see above)."""
    return np.asarray(means - (rates * means).sum(axis=-1, keepdims=True), dtype=np.float64)


def calibration_record(
    *,
    subject: str,
    benchmark: str,
    horizon: int,
    band: float,
    probs: Float64Array,
    base_rates: Float64Array,
    means: Float64Array,
    weight: float,
    skill: float | None,
    model_skill: float | None,
    n_oos: int,
    labelled: int,
    min_labelled: int,
    track_records: list[TrackRecord],
    round_trip_cost: float,
    base_rate_source: str,
    note: str,
) -> Calibration:
    """The typed call: outcomes worded from the band and horizon, numbers rounded for stable output,
    method and the no-edge flag from the blend weight (weight 0: the probabilities are the base rates)."""
    return Calibration(
        method="model" if weight > 0 else "base rates",
        base_rate_source=base_rate_source,
        horizon_weeks=horizon,
        band=rnd(band) or 0.0,
        outcomes=[outcome_sentence(c, subject, benchmark, band, horizon) for c in CLASSES],
        probabilities=[rnd(float(v)) or 0.0 for v in probs],
        base_rates=[rnd(float(v)) or 0.0 for v in base_rates],
        class_means=[rnd(float(v)) or 0.0 for v in means],
        expected_relative_return=rnd(float(expected_relative_return(probs, means))) or 0.0,
        round_trip_cost=round_trip_cost,
        model_weight=rnd(weight) or 0.0,
        brier_skill_oos=rnd(skill),
        model_brier_skill_oos=rnd(model_skill),
        n_oos=n_oos,
        labelled_weeks=labelled,
        min_labelled_weeks=min_labelled,
        no_measured_edge=weight <= 0,
        track_records=track_records,
        note=note,
    )
