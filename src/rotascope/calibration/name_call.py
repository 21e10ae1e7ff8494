"""One name's calibrated call at an as-of, from the pooled cross-sectional walk-forward (``cross``).

The record is the universe's ``Calibration``: probabilities, base rates (the pooled member
climatology), band, expected relative return, the model's weight and out-of-sample Brier skill, and the
track record of member calls in the same 10-point bin, all from labels known at the as-of. The desk
rule that reads it (``agents.decision.calibrated_stance``) stands aside when the model has no weight.

The expected relative return is ``call.expected_relative_return``, ``p . m``, as for the universe, with
``m`` each class's mean realised ``R / band`` among member labels known then, less the base-rate-weighted
mean of them (the cross-section's mean against its median), times the name's band: a tilt is held against
the cross-section, and single-name returns skew right, so the median member is a low bar that the base
rates alone expect to beat. Measured against the mean, a call at the base rates expects 0.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope.calibration.call import against_mean, calibration_record
from rotascope.calibration.cross import BIN, BINS, OUTCOME_BENCHMARK, CrossCalibration, CrossRun
from rotascope.calibration.outcomes import check_horizon
from rotascope.calibration.service import bin_record
from rotascope.records import Calibration, TrackRecord, rnd


def _skill(run: CrossRun, i: int) -> tuple[float | None, float | None, int, int]:
    """(Brier skill of the calls shown, of the model alone, calls, model calls) vs the base rates, over
    out-of-sample member calls known at week ``i``."""
    calls, b_prob, b_clim, m_calls, b_model, b_mclim = run.known(run.brier_sums)[i]
    shown = 1.0 - b_prob / b_clim if calls > 0 and b_clim > 0 else None
    model = 1.0 - b_model / b_mclim if m_calls > 0 and b_mclim > 0 else None
    return shown, model, int(calls), int(m_calls)


def _record(run: CrossRun, i: int, k: int, p: float) -> TrackRecord:
    b = min(int(np.floor(p / BIN)), BINS - 1)
    calls, hits = run.known(run.record)[i, k, b]
    return bin_record(k, b * BIN, int(calls), float(hits / calls) if calls else None, "member calls")


def pooled_base_rates(
    cc: CrossCalibration, as_of: date, h: int | None = None
) -> tuple[list[float], int] | None:
    """(bear, base, bull) base rates of the member outcomes known in the week of ``as_of`` and how many
    outcomes they count (None before the first week): what a member without a call of its own shows."""
    horizon = check_horizon(cc.rules.default_horizon if h is None else h, tuple(cc.runs))
    i = cc.week(np.datetime64(as_of, "D"))
    if i < 0:
        return None
    run = cc.runs[horizon]
    return [rnd(float(v)) or 0.0 for v in run.clim[i]], int(run.labelled[i])


def name_call(cc: CrossCalibration, symbol: str, as_of: date, h: int | None = None) -> Calibration | None:
    """The calibrated call of ``symbol`` in the week of ``as_of`` (None: not a member column, before the
    first week, not on the point-in-time list in force that week, or no band yet)."""
    rules = cc.rules
    horizon = check_horizon(rules.default_horizon if h is None else h, tuple(cc.runs))
    j = cc.column(symbol)
    i = cc.week(np.datetime64(as_of, "D"))
    if j is None or i < 0 or (cc.has_lists and not cc.listed[i, j]):
        return None  # not a member column, before the first week, or off the list in force that week
    run = cc.runs[horizon]
    band = float(run.band[i, j])
    if not np.isfinite(band) or band <= 0:
        return None
    probs = run.prob[i, j]
    means = against_mean(run.unit_means[i], run.clim[i]) * band  # vs the cross-section's mean (call.py)
    weight = float(run.weight[i])
    skill, model_skill, n_oos, n_model = _skill(run, i)
    labelled = int(run.labelled[i])
    pooled = (
        f"Base rates: the frequency of each outcome among the {labelled:,} member outcomes known then "
        f"(Russell 2000 members, each against the median member with its own band)."
    )
    if weight <= 0:
        note = (
            "The evidence on single names has had no measurable edge out of sample"
            + (
                f" (the pooled model's own Brier skill {model_skill:+.4f} against the base rates over "
                f"{n_model:,} member calls)"
                if model_skill is not None
                else f" (fewer than {rules.members_min_oos_weeks} weeks of its own calls known)"
            )
            + ": the probabilities are the base rates."
        )
    else:
        note = (
            f"The pooled member model carries weight {weight:.2f} (the rest is the base rates); "
            f"out-of-sample Brier skill {skill:+.4f} against the base rates over {n_oos:,} member calls."
        )
    return calibration_record(
        subject=symbol,
        benchmark=OUTCOME_BENCHMARK,
        horizon=horizon,
        band=band,
        probs=probs,
        base_rates=run.clim[i],
        means=means,
        weight=weight,
        skill=skill,
        model_skill=model_skill,
        n_oos=n_oos,
        labelled=labelled,
        min_labelled=rules.members_min_weeks,
        track_records=[_record(run, i, k, float(probs[k])) for k in range(3)],
        round_trip_cost=rules.round_trip_cost,
        base_rate_source=pooled,
        note=note,
    )
