"""The decision agent's calibrated tilt at every weekly as-of: strategy 3 of `rotascope backtest` trades it.

The universe analysis sizes its tilt from the calibrated call (``agents.decision.calibrated_stance`` and
``calibrated_tilt``): no tilt while the model has no weight; toward small caps when the expected relative
return E clears the round-trip cost and P(bull) > P(bear), away when E < -cost and P(bear) > P(bull);
size ``MAX_TILT x sign(E) x min(1, |E| / band) x min(1, vol-targeted weight)``. Here the same rule runs on
the whole walk-forward at once (one array per quantity, each row known at its week: probabilities from
labels known then, the band and the pair vol from closes up to then), with the same six-decimal rounding
the ``Calibration`` record applies; a test holds it to the analysis' tilt on several dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rotascope.agents.decision import tilt_size, tilt_strength
from rotascope.backtest.calendar import as_index
from rotascope.backtest.forward import closes_at
from rotascope.calibration.call import expected_relative_return
from rotascope.calibration.features import ExtraFactory
from rotascope.calibration.outcomes import BEAR, BULL, class_means
from rotascope.calibration.service import Calibrated, calibration_of
from rotascope.monitor.run import Monitor
from rotascope.risk.sizing import DEFAULT_MAX_WEIGHT, DEFAULT_TARGET_VOL, pair_returns, pair_vol

DECIMALS = 6


def vol_weights(monitor: Monitor, asof: np.ndarray) -> np.ndarray:
    """The risk toolkit's vol-targeted weight at each as-of: target / max(21-day, 63-day) pair vol, capped;
    NaN where neither vol is known (the analysis then sizes without it)."""
    etf = monitor.panel.data.etf
    rets = pair_returns(etf.column("IWM"), etf.column("SPY"))
    cal = monitor.panel.calendar
    v21 = closes_at(cal, pair_vol(rets, 21), asof)
    v63 = closes_at(cal, pair_vol(rets, 63), asof)
    vol = np.fmax(v21, v63)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.minimum(DEFAULT_TARGET_VOL / vol, DEFAULT_MAX_WEIGHT)
    return np.asarray(np.where(np.isfinite(vol) & (vol > 0), np.round(w, DECIMALS), np.nan))


def calibrated_tilts(monitor: Monitor, cal: Calibrated) -> pd.Series:
    """Signed tilt (fraction of equity, + toward IWM) at each weekly as-of of ``cal``."""
    wf = cal.runs[cal.rules.default_horizon]
    prob = np.round(wf.prob, DECIMALS)
    e = np.round(expected_relative_return(wf.prob, class_means(wf.labels)), DECIMALS)
    band = np.round(wf.labels.band, DECIMALS)
    weight = np.round(wf.weight, DECIMALS)
    signed = tilt_strength(e, band, prob[:, BULL], prob[:, BEAR], weight, cal.rules.round_trip_cost)
    tilt = np.round(tilt_size(signed, vol_weights(monitor, cal.table.asof)), 4) + 0.0
    return pd.Series(tilt, index=as_index(cal.table.asof), name="calibrated_tilt")


def calibrated_tilt_series(monitor: Monitor, extra: ExtraFactory | None) -> pd.Series:
    """The calibrated tilt of every weekly as-of on the monitor's (memoised) calibration."""
    return calibrated_tilts(monitor, calibration_of(monitor, extra))
