"""`rotascope review --members`: the cross-sectional record of the single-name calls (``cross``).

Over the out-of-sample member calls (from ``evaluate_from``, names on the list in force, labels known at
the review's week): Brier and log-loss skill against the base rates per horizon and 5-year block,
reliability (all scenarios pooled), the weekly rank IC of the ranking (the expected relative return,
``call.expected_relative_return``) against the realised relative return with a stationary block-bootstrap
interval, Hansen's SPA on the weekly Brier losses (do the calls beat the base rates?), and survivorship:
the same record on the point-in-time lists against today's members over the weeks where dated lists exist.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from rotascope.atomicfile import atomic_open
from rotascope.calibration.call import against_mean, expected_relative_return
from rotascope.calibration.cross import BENCHMARK, CrossCalibration, CrossRun, onehot
from rotascope.calibration.review import BLOCK_YEARS, ReliabilityBin, Score, _score, reliability_bins
from rotascope.records import Record, rnd

REPS = 1000
"""Bootstrap draws of the rank IC interval and of the SPA test."""


class RankIC(Record):
    horizon_weeks: int
    weeks: int
    """Weeks the ranking had a model behind it (weight > 0) with known outcomes."""
    mean: float | None
    low: float | None
    high: float | None
    """95 % stationary block-bootstrap interval of the mean weekly IC (blocks of twice the horizon)."""


class Spa(Record):
    horizon_weeks: int
    weeks: int
    p_value: float | None
    """Hansen's SPA (consistent) p-value that the calls do not beat the base rates on weekly Brier loss."""
    weight_latest: float
    weeks_with_weight: int


class Survivorship(Record):
    horizon_weeks: int
    window: str
    point_in_time: Score
    """Calls on names on the list in force at the as-of (priced former members included)."""
    todays_members: Score
    """Calls on today's members over the same weeks (whether listed then or not)."""
    bull_rate_point_in_time: float | None
    bull_rate_todays: float | None


class MemberReview(Record):
    as_of: str
    evaluate_from: str
    benchmark: str
    scores: list[Score]
    reliability: list[ReliabilityBin]
    rank_ic: list[RankIC]
    spa: list[Spa]
    survivorship: list[Survivorship]


def expected_returns(run: CrossRun) -> np.ndarray:
    """(weeks x names) expected relative return (``call.expected_relative_return``, class means against the
    cross-section's mean), the ranking's key."""
    means = against_mean(run.unit_means, run.clim)[:, None, :] * run.band[:, :, None]
    return expected_relative_return(run.prob, means)


def weekly_ic(score: np.ndarray, realised: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Spearman correlation of ``score`` and ``realised`` across names, per week (NaN with < 10 names)."""
    both = rows & np.isfinite(score) & np.isfinite(realised)
    a = pd.DataFrame(np.where(both, score, np.nan)).rank(axis=1).to_numpy()
    b = pd.DataFrame(np.where(both, realised, np.nan)).rank(axis=1).to_numpy()
    n = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a week without names: NaN, dropped below
        am = a - np.nanmean(a, axis=1, keepdims=True)
        bm = b - np.nanmean(b, axis=1, keepdims=True)
        cov = np.nansum(am * bm, axis=1)
        ic = cov / np.sqrt(np.nansum(am * am, axis=1) * np.nansum(bm * bm, axis=1))
    return np.asarray(np.where(n >= 10, ic, np.nan))


def _flat(run: CrossRun, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(calls, base rates, outcomes) of the selected (week, name) cells, one row per call."""
    clim = np.broadcast_to(run.clim[:, None, :], run.prob.shape)
    return run.prob[rows], clim[rows], onehot(run.cls)[rows]


def _scores(
    cc: CrossCalibration,
    h: int,
    run: CrossRun,
    rows: np.ndarray,
    flat: tuple[np.ndarray, np.ndarray, np.ndarray],
    known_w: np.ndarray,
    years: np.ndarray,
) -> list[Score]:
    """Brier and log-loss skill of one horizon's calls (``flat``: those of ``rows``) over the whole
    record, then per 5-year block."""
    out = [_score(h, f"{cc.rules.evaluate_from} on", *flat)]
    for b0 in range(int(years[known_w].min()), int(years[known_w].max()) + 1, BLOCK_YEARS):
        sel = rows & ((years >= b0) & (years < b0 + BLOCK_YEARS))[:, None]
        out.append(_score(h, f"{b0}-{b0 + BLOCK_YEARS - 1}", *_flat(run, sel)))
    return out


def _rank_ic(cc: CrossCalibration, h: int, run: CrossRun, known_w: np.ndarray) -> RankIC:
    """The mean weekly rank IC of the ranking over the weeks with a model behind it, with its stationary
    block-bootstrap interval (blocks of twice the horizon; none below four horizons of weeks)."""
    from arch.bootstrap import StationaryBootstrap  # deferred: arch loads statsmodels (~1.5 s)

    on = known_w & (run.weight > 0)
    ic = weekly_ic(expected_returns(run), run.rel, on[:, None] & cc.listed)[on]
    ic = ic[np.isfinite(ic)]
    low = high = None
    if len(ic) >= 4 * h:
        bs = StationaryBootstrap(2 * h, ic, seed=7)
        ci = bs.conf_int(np.mean, reps=REPS, method="percentile")
        low, high = float(ci[0, 0]), float(ci[1, 0])
    return RankIC(
        horizon_weeks=h,
        weeks=len(ic),
        mean=rnd(float(ic.mean())) if len(ic) else None,
        low=rnd(low),
        high=rnd(high),
    )


def _spa(h: int, run: CrossRun, rows: np.ndarray, last: int) -> Spa:
    """Hansen's SPA on the weekly mean Brier losses of the calls against the base rates (none below four
    horizons of weeks), with the model's latest weight."""
    from arch.bootstrap import SPA  # deferred: arch loads statsmodels (~1.5 s)

    yy = np.nan_to_num(onehot(run.cls))
    clim3 = np.broadcast_to(run.clim[:, None, :], run.prob.shape)
    n_w = rows.sum(axis=1)
    lp = np.where(rows, ((run.prob - yy) ** 2).sum(axis=2), 0.0).sum(axis=1)
    lc = np.where(rows, ((clim3 - yy) ** 2).sum(axis=2), 0.0).sum(axis=1)
    use = n_w > 0
    pval = None
    if use.sum() >= 4 * h:
        spa = SPA(lc[use] / n_w[use], (lp[use] / n_w[use])[:, None], reps=REPS, block_size=2 * h, seed=7)
        spa.compute()
        pval = float(spa.pvalues["consistent"])
    return Spa(
        horizon_weeks=h,
        weeks=int(use.sum()),
        p_value=rnd(pval, 4),
        weight_latest=rnd(float(run.weight[last]), 4) or 0.0,
        weeks_with_weight=int((run.weight[: last + 1] > 0).sum()),
    )


def _survivorship(
    cc: CrossCalibration, h: int, run: CrossRun, known_w: np.ndarray, week: np.ndarray
) -> Survivorship:
    """The same record on the point-in-time lists and on today's members, over the weeks where dated
    lists exist."""
    first = np.flatnonzero(cc.listed[:, cc.n_current :].any(axis=1))
    w0 = int(first[0]) if len(first) else len(cc.asof)
    win = known_w & (week >= w0)
    pit = win[:, None] & cc.listed & np.isfinite(run.cls)
    today = win[:, None] & (np.arange(len(cc.symbols)) < cc.n_current)[None, :] & np.isfinite(run.cls)
    label = f"{cc.asof[w0]} on" if w0 < len(cc.asof) else "none"
    return Survivorship(
        horizon_weeks=h,
        window=label,
        point_in_time=_score(h, label, *_flat(run, pit)),
        todays_members=_score(h, label, *_flat(run, today)),
        bull_rate_point_in_time=rnd(float((run.cls[pit] == 2).mean())) if pit.any() else None,
        bull_rate_todays=rnd(float((run.cls[today] == 2).mean())) if today.any() else None,
    )


def member_review(cc: CrossCalibration, upto: int | None = None) -> MemberReview:
    """The record known at week ``upto`` (default: the last)."""
    last = len(cc.asof) - 1 if upto is None else upto
    start = np.datetime64(cc.rules.evaluate_from, "D")
    years = cc.asof.astype("datetime64[Y]").astype(np.int64) + 1970
    week = np.arange(len(cc.asof))
    scores: list[Score] = []
    bins: list[ReliabilityBin] = []
    ics: list[RankIC] = []
    spas: list[Spa] = []
    surv: list[Survivorship] = []
    for h, run in sorted(cc.runs.items()):
        known_w = (week + h <= last) & (cc.asof >= start)
        rows = known_w[:, None] & cc.listed & np.isfinite(run.cls)
        p, c, y = _flat(run, rows)
        scores += _scores(cc, h, run, rows, (p, c, y), known_w, years)
        bins += reliability_bins(h, p.ravel(), y.ravel())
        ics.append(_rank_ic(cc, h, run, known_w))
        spas.append(_spa(h, run, rows, last))
        if cc.has_lists:
            surv.append(_survivorship(cc, h, run, known_w, week))
    return MemberReview(
        as_of=str(cc.asof[last]),
        evaluate_from=cc.rules.evaluate_from,
        benchmark=BENCHMARK,
        scores=scores,
        reliability=bins,
        rank_ic=ics,
        spa=spas,
        survivorship=surv,
    )


def member_review_lines(rev: MemberReview) -> list[str]:
    """Plain-text cross-sectional record."""
    lines = [
        f"Single names, as of {rev.as_of} (member calls from {rev.evaluate_from} on the list in force, "
        f"outcomes vs the {rev.benchmark} known by then). Brier and log-loss vs the base rates:"
    ]
    for s in rev.scores:
        if s.n:
            lines.append(
                f"  {s.horizon_weeks:>2} weeks {s.period:<16} n={s.n:>9,}  Brier {s.brier:.4f} vs "
                f"{s.brier_climatology:.4f} (skill {s.brier_skill:+.4f})  log-loss {s.log_loss:.4f} vs "
                f"{s.log_loss_climatology:.4f}"
            )
    lines.append("Reliability (all scenarios pooled; bins with n >= 100):")
    for b in rev.reliability:
        if b.n >= 100 and b.mean_forecast is not None and b.realised is not None:
            lines.append(
                f"  {b.horizon_weeks:>2} weeks {b.bin_low:.0%}-{b.bin_high:.0%}: n={b.n:>9,}, mean forecast "
                f"{b.mean_forecast:.1%}, happened {b.realised:.1%} "
                f"({(b.realised - b.mean_forecast) * 100:+.1f} points)"
            )
    for ic in rev.rank_ic:
        if ic.mean is None:
            lines.append(f"  {ic.horizon_weeks:>2} weeks rank IC: no week with a model weight")
        else:
            ci = f" (95 % interval {ic.low:+.4f} to {ic.high:+.4f})" if ic.low is not None else ""
            lines.append(
                f"  {ic.horizon_weeks:>2} weeks rank IC of the ranking vs the realised relative return: mean "
                f"{ic.mean:+.4f}{ci} over {ic.weeks} weeks with a model weight"
            )
    for sp in rev.spa:
        if sp.weeks_with_weight == 0:
            lines.append(
                f"  {sp.horizon_weeks:>2} weeks: the evidence never earned a weight; the calls are the base "
                "rates."
            )
        else:
            p = "n/a" if sp.p_value is None else f"{sp.p_value:.3f}"
            lines.append(
                f"  {sp.horizon_weeks:>2} weeks: the evidence earned a weight in {sp.weeks_with_weight} "
                f"weeks (latest {sp.weight_latest:.2f}); Hansen's SPA p = {p} that the calls do not beat "
                f"the base rates (weekly Brier loss, stationary bootstrap in {2 * sp.horizon_weeks}-week "
                "blocks)"
            )
    for sv in rev.survivorship:
        pit, now = sv.point_in_time, sv.todays_members
        if pit.n and now.n:
            lines.append(
                f"  Survivorship, {sv.horizon_weeks} weeks, {sv.window}: on the point-in-time lists "
                f"n={pit.n:,}, skill {pit.brier_skill:+.4f}, bull {sv.bull_rate_point_in_time:.1%}; on "
                f"today's members n={now.n:,}, skill {now.brier_skill:+.4f}, bull {sv.bull_rate_todays:.1%}"
            )
    return lines


def calls_table(cc: CrossCalibration, upto: int | None = None) -> pa.Table:
    """Every (week, member) call with a band, as known at its as-of: the rows of member_calls.csv."""
    last = len(cc.asof) - 1 if upto is None else upto
    parts = []
    for h, run in sorted(cc.runs.items()):
        ok = np.isfinite(run.band[: last + 1]) & cc.listed[: last + 1]
        wi, ni = np.nonzero(ok)
        prob = np.round(run.prob[wi, ni], 6)
        parts.append(
            pa.table(
                {
                    "as_of": pa.array(cc.asof[wi].astype("datetime64[D]")),
                    "symbol": pa.array(np.asarray(cc.symbols, dtype=object)[ni]),
                    "horizon_weeks": pa.array(np.full(len(wi), h, dtype=np.int64)),
                    "p_bull": pa.array(prob[:, 2]),
                    "p_base": pa.array(prob[:, 1]),
                    "p_bear": pa.array(prob[:, 0]),
                    "band": pa.array(np.round(run.band[wi, ni], 6)),
                    "benchmark": pa.array(np.full(len(wi), BENCHMARK, dtype=object)),
                }
            )
        )
    return pa.concat_tables(parts)


def write_member_calls(cc: CrossCalibration, out: Path, upto: int | None = None) -> Path:
    """``member_calls.csv`` in ``out`` (RFC 4180, header row, no comments), whole or not at all."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "member_calls.csv"
    table = calls_table(cc, upto)
    with atomic_open(path) as fh:
        pacsv.write_csv(table, fh)
    return path
