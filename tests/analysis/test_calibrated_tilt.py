"""Strategy 3's weights are the decision agent's calibrated tilt, computed walk-forward for every week."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from rotascope.agents.run import universe_analysis
from rotascope.analysis.calibrated_tilt import calibrated_tilts, vol_weights
from rotascope.calibration.service import Calibrated, calibrate, call_at
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor
from rotascope.risk.sizing import size_tilt


@pytest.fixture(scope="module")
def cal(monitor: Monitor) -> Calibrated:
    return calibrate(monitor, horizons=(13,))


def weighted(cal: Calibrated, w: float) -> Calibrated:
    """The same walk-forward with the model forced to blend weight ``w`` (the embedded data never earns
    one, so the real tilt is 0 every week; this exercises the sizing rule on both sides)."""
    wf = cal.runs[13]
    has = wf.has_model()
    weight = np.where(has, w, 0.0)
    prob = np.where(
        has[:, None], weight[:, None] * np.nan_to_num(wf.model) + (1 - weight[:, None]) * wf.clim, wf.clim
    )
    return dataclasses.replace(cal, runs={13: dataclasses.replace(wf, weight=weight, prob=prob)})


def test_equals_the_decision_agents_tilt(monitor: Monitor, cal: Calibrated) -> None:
    forced = weighted(cal, 0.8)
    series = calibrated_tilts(monitor, forced)
    days = series.index[series.index >= "2012-01-01"][::40]
    signs = set()
    for ts in days:
        day = ts.date()
        a = universe_analysis(
            monitor, monitor.at(day), "test", full_risk=False, calibration=call_at(forced, day)
        )
        assert series[ts] == pytest.approx(a.decision.tilt, abs=1e-4), day
        signs.add(np.sign(a.decision.tilt))
    assert signs == {-1.0, 0.0, 1.0}  # toward, away and no tilt all met


def test_zero_while_the_model_has_no_weight(monitor: Monitor, cal: Calibrated) -> None:
    series = calibrated_tilts(monitor, cal)
    no_weight = cal.runs[13].weight <= 0
    assert (series.to_numpy()[no_weight] == 0).all()
    a = universe_analysis(
        monitor,
        monitor.at(date(2024, 7, 19)),
        "test",
        full_risk=False,
        calibration=call_at(cal, date(2024, 7, 19)),
    )
    assert a.decision.tilt == series[np.datetime64("2024-07-19")] == 0


def test_vol_weight_is_the_sizers(monitor: Monitor) -> None:
    etf = monitor.panel.data.etf
    cal_days = monitor.panel.calendar
    days = cal_days[[3000, 5000, len(cal_days) - 1]]
    got = vol_weights(monitor, days)
    for k, d in enumerate(days):
        t = int(np.searchsorted(cal_days, d))
        iwm, spy = etf.column("IWM"), etf.column("SPY")
        s = size_tilt(t, d.astype(date), iwm_high=iwm, iwm_low=iwm, iwm_close=iwm, spy_close=spy, capital=1e6)
        assert got[k] == s.weight


def test_no_look_ahead(monitor: Monitor, cal: Calibrated) -> None:
    """The forced-weight tilt at a date is the same when every later price is removed."""
    day = date(2019, 3, 29)
    cut_monitor = Monitor(
        compute(monitor.panel.data.upto(np.datetime64(day, "D")), monitor.thresholds), monitor.thresholds
    )
    cut = calibrate(cut_monitor, horizons=(13,))
    ts = np.datetime64(day)
    assert (
        calibrated_tilts(cut_monitor, weighted(cut, 0.8))[ts]
        == calibrated_tilts(monitor, weighted(cal, 0.8))[ts]
    )
