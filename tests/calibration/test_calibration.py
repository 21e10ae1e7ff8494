"""Calibrated calls (issue #11) on the real embedded data: labels, purge, no look-ahead, skill, determinism.

Regime-only features (no agent replay) keep the tests fast; the model, purge and shrinkage are the same code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotascope.calibration.outcomes import BASE, BEAR, BULL, weekly_labels
from rotascope.calibration.review import (
    _weight_fields,
    calls_frame,
    review,
    weights_frame,
    weights_png,
    write_review,
)
from rotascope.calibration.service import Calibrated, brier, calibrate, call_at
from rotascope.errors import DataError
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor
from rotascope.records import rnd


@pytest.fixture(scope="module")
def cal(monitor: Monitor) -> Calibrated:
    return calibrate(monitor)


def test_label_by_hand(monitor: Monitor) -> None:
    cal_ = monitor.panel.calendar
    etf = monitor.panel.data.etf
    iwm, spy = etf.column("IWM"), etf.column("SPY")
    days = np.array(["2024-07-19"], dtype="datetime64[D]")
    from rotascope.backtest.replay import replay_dates

    weeks = replay_dates(monitor)
    i = int(np.flatnonzero(weeks == days[0])[0])
    lab = weekly_labels(cal_, iwm, spy, weeks, 13, 0.5, 63)
    t0 = int(np.flatnonzero(cal_ == weeks[i])[0])
    t1 = int(np.flatnonzero(cal_ == weeks[i + 13])[0])
    rel = (iwm[t1] / iwm[t0] - 1) - (spy[t1] / spy[t0] - 1)
    logr = np.diff(np.log(iwm[t0 - 63 : t0 + 1] / spy[t0 - 63 : t0 + 1]))
    band = 0.5 * logr.std(ddof=1) * np.sqrt(252) * np.sqrt(13 / 52)
    assert lab.rel[i] == pytest.approx(rel, abs=1e-12)
    assert lab.band[i] == pytest.approx(band, rel=1e-9)
    expected = BULL if rel > band else BEAR if rel < -band else BASE
    assert lab.cls[i] == expected


def test_calibrator_never_sees_a_label_after_t(cal: Calibrated) -> None:
    for wf in cal.runs.values():
        h = wf.horizon
        for i in (300, 700, len(wf.labels.cls) - 1):
            rows = np.flatnonzero(wf.labels.known_mask(i))
            assert rows.max() + h <= i
        # each week's model was fitted on exactly the labels known at its refit week (<= the week)
        fitted = wf.fitted_on[np.isfinite(wf.model[:, 0])]
        known = wf.labelled[np.isfinite(wf.model[:, 0])]
        assert (fitted <= known).all()


def test_skill_not_below_base_rate(cal: Calibrated) -> None:
    rev = review(cal)
    overall = [s for s in rev.scores if s.period.endswith("on")]
    assert {s.horizon_weeks for s in overall} == {4, 13}
    for s in overall:
        assert s.brier_skill is not None and s.brier_skill >= 0
    for s in rev.scores:
        if s.n >= 52:
            assert s.brier_skill is not None and s.brier_skill >= -0.03


def test_reliability_within_ten_points(cal: Calibrated) -> None:
    """The issue's proof: every reliability bin with at least 30 out-of-sample calls (2006 on) is within 10
    points of how often it happened, pooled over the scenarios and for each scenario alone."""
    rev = review(cal)
    pooled = [b for b in rev.reliability if b.n >= 30]
    assert {b.horizon_weeks for b in pooled} == {4, 13}
    for b in pooled:
        assert b.mean_forecast is not None and b.realised is not None
        assert abs(b.realised - b.mean_forecast) <= 0.10, b
    calls = calls_frame(cal)
    scored = calls[(calls.as_of >= cal.rules.evaluate_from) & (calls.outcome != "")]
    checked = set()
    for h, g in scored.groupby("horizon_weeks"):
        for k in ("bear", "base", "bull"):
            p = g[f"p_{k}"].to_numpy()
            hit = (g.outcome == k).to_numpy()
            bins = np.minimum((p * 10).astype(np.int64), 9)
            for v in np.unique(bins):
                m = bins == v
                if m.sum() >= 30:
                    assert abs(hit[m].mean() - p[m].mean()) <= 0.10, (k, v)
                    checked.add((h, k))
    assert checked == {(h, k) for h in (4, 13) for k in ("bear", "base", "bull")}


def test_skill_is_scored_against_the_plain_expanding_climatology(cal: Calibrated) -> None:
    """The review's yardstick is the plain expanding climatology, not the base rates with the size prior:
    with the model's weight at 0 the calls are the base rates, and their skill is what the prior gained."""
    rev = review(cal)
    start = np.datetime64(cal.rules.evaluate_from, "D")
    for s in rev.scores:
        if not s.period.endswith("on"):
            continue
        wf = cal.runs[s.horizon_weeks]
        rows = wf.labels.known_mask(len(cal.table.asof) - 1) & (cal.table.asof >= start)
        y = wf.labels.onehot()[rows]
        assert s.brier_climatology == rnd(float(brier(wf.expanding[rows], y).mean()))
        assert s.brier_climatology != rnd(float(brier(wf.clim[rows], y).mean()))
        assert not wf.weight[rows].any()  # no measured edge on the embedded data: the calls are base rates
        assert s.brier_skill is not None and s.brier_skill > 0
    c = call_at(cal, date(2024, 7, 19))
    assert c.no_measured_edge and c.brier_skill_oos is not None and c.brier_skill_oos > 0


def test_size_prior_only_splits_bull_from_bear(monitor: Monitor, cal: Calibrated) -> None:
    """The base rates count the size factor's pre-IWM outcomes only in the bull/bear split; switched off,
    they are the plain expanding climatology the skill scores use."""
    for wf in cal.runs.values():
        assert wf.prior is not None and wf.prior.weeks > 3_800
        assert np.array_equal(wf.clim[:, BASE], wf.expanding[:, BASE])
        assert not np.allclose(wf.clim[:, BEAR], wf.expanding[:, BEAR])
    off = monitor.thresholds.model_copy(
        update={"calibration": monitor.thresholds.calibration.model_copy(update={"size_prior": False})}
    )
    plain = calibrate(Monitor(monitor.panel, off), horizons=(13,))
    assert plain.runs[13].prior is None
    assert np.array_equal(plain.runs[13].clim, cal.runs[13].expanding)
    c = call_at(plain, date(2012, 6, 29))
    assert c.base_rate_source.startswith("Base rates: the frequency of each outcome among the")
    with_prior = call_at(cal, date(2012, 6, 29))
    assert "1926-1999" in with_prior.base_rate_source


def test_no_look_ahead_when_later_data_removed(monitor: Monitor, cal: Calibrated) -> None:
    data = monitor.panel.data
    for day in (date(2012, 6, 29), date(2019, 3, 29)):
        cut = Monitor(compute(data.upto(np.datetime64(day, "D")), monitor.thresholds), monitor.thresholds)
        short = calibrate(cut)
        for h in (4, 13):
            assert call_at(short, day, h) == call_at(cal, day, h)


def test_calls_are_deterministic(monitor: Monitor, cal: Calibrated) -> None:
    again = calibrate(monitor)
    assert calls_frame(again).to_csv() == calls_frame(cal).to_csv()


def test_bad_input(monitor: Monitor, cal: Calibrated) -> None:
    with pytest.raises(DataError, match="not calibrated"):
        calibrate(monitor, horizons=(7,))
    with pytest.raises(DataError, match="not calibrated"):
        call_at(cal, date(2020, 1, 3), 26)
    bad = monitor.thresholds.model_copy(
        update={"calibration": monitor.thresholds.calibration.model_copy(update={"band_k": 0.0})}
    )
    with pytest.raises(DataError, match="above 0"):
        calibrate(Monitor(monitor.panel, bad))


def test_base_rates_before_enough_history(cal: Calibrated) -> None:
    c = call_at(cal, date(2003, 6, 27))
    assert c.method == "base rates" and c.labelled_weeks < c.min_labelled_weeks
    assert c.probabilities == c.base_rates
    assert "base rates" in c.note


def test_review_as_of_a_date_is_the_review_of_the_data_cut_there(monitor: Monitor, cal: Calibrated) -> None:
    """`rotascope review --as-of D` counts only calls and outcomes known at D: the same review (and calls)
    as a calibration on the data cut at D."""
    day = date(2019, 3, 29)
    cut = Monitor(
        compute(monitor.panel.data.upto(np.datetime64(day, "D")), monitor.thresholds), monitor.thresholds
    )
    short = calibrate(cut)
    i = cal.week(day)
    skip = {"calibration_seconds"}
    assert review(cal, i).model_dump(exclude=skip) == review(short).model_dump(exclude=skip)
    assert review(cal, i).as_of == "2019-03-29"
    assert calls_frame(cal, i).to_csv() == calls_frame(short).to_csv()
    assert weights_frame(cal, i).equals(weights_frame(short))  # the weights known at D, and no later refit
    assert review(cal, i) != review(cal)


def test_weights_over_time_are_point_in_time(cal: Calibrated) -> None:
    """weights.csv holds every refit known at the review week and nothing later; each signal's range and
    sign changes in the review are those of its column there."""
    day = date(2012, 6, 29)
    i = cal.week(day)
    w = weights_frame(cal, i)
    assert (w.refit_as_of <= "2012-06-29").all() and set(w.horizon_weeks) == {4, 13}
    for h, wf in cal.runs.items():
        mine = w[w.horizon_weeks == h]
        known = wf.coefs.loc[wf.coefs.index <= pd.Timestamp(day)]
        assert len(mine) == len(known) > 0
        assert np.array_equal(mine[list(cal.table.names)].to_numpy(), known.to_numpy(), equal_nan=True)
    rev = review(cal, i)
    for g in rev.signals:
        col = w.loc[w.horizon_weeks == g.horizon_weeks, g.signal].to_numpy()
        est = col[np.isfinite(col)]  # NaN: the refit could not estimate this weight
        if not len(est):
            assert g.weight_latest is None and g.weight_refits == 0
            continue
        signs = np.sign(est[est != 0])
        assert g.weight_refits == len(est)
        assert g.weight_low == pytest.approx(est.min(), abs=1e-6)
        assert g.weight_high == pytest.approx(est.max(), abs=1e-6)
        assert g.weight_latest == pytest.approx(est[-1], abs=1e-6)
        assert g.weight_sign_changes == int((np.diff(signs) != 0).sum())
    assert any(g.weight_sign_changes > 0 for g in rev.signals)


def test_weight_fields_skip_weights_that_could_not_be_estimated() -> None:
    """NaN (not estimable at that refit) is left out; an exact zero has no sign, so it is no sign change."""
    got = _weight_fields(np.array([0.2, np.nan, -0.1, 0.0, -0.3, 0.4, np.nan]))
    assert got == {
        "weight_latest": 0.4, "weight_refits": 5, "weight_low": -0.3, "weight_high": 0.4,
        "weight_sign_changes": 2,
    }  # fmt: skip
    assert _weight_fields(np.array([np.nan, np.nan])) == {"weight_latest": None}
    assert _weight_fields(np.zeros(0)) == {"weight_latest": None}


def test_weights_png_before_any_refit_and_for_one_horizon(cal: Calibrated) -> None:
    """Before the first refit the heat map says so per horizon; one horizon draws one panel."""
    early = cal.week(date(2003, 6, 27))
    assert weights_frame(cal, early).empty
    for frame, horizons in ((weights_frame(cal, early), [4, 13]), (weights_frame(cal), [13])):
        png = weights_png(frame[frame.horizon_weeks.isin(horizons)], horizons)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2_000


def test_write_review_writes_every_file_whole(cal: Calibrated, tmp_path: Path) -> None:
    paths = write_review(cal, tmp_path)
    names = {"calls.csv", "weights.csv", "review.json", "reliability.png", "weights.png", "review.html"}
    names |= {"calls.csv-metadata.json", "weights.csv-metadata.json"}  # the CSVs' notes (plain CSV)
    assert {p.name for p in paths} == names
    assert {p.name for p in tmp_path.iterdir()} == names  # no temporary file left behind
    for png in ("reliability.png", "weights.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "review.html").read_text()
    assert "src='reliability.png'" in page and "src='weights.png'" in page and "sign changes" in page
    back = pd.read_csv(tmp_path / "weights.csv")
    want = weights_frame(cal)
    assert list(back.columns) == list(want.columns) and len(back) == len(want)
    assert np.allclose(
        back[list(cal.table.names)].to_numpy(),
        want[list(cal.table.names)].to_numpy(),
        atol=1e-6,
        equal_nan=True,
    )
    calls = pd.read_csv(tmp_path / "calls.csv")
    assert {"expanding_bull", "expanding_base", "expanding_bear"} <= set(calls.columns)
