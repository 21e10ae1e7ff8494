"""The calibrated tilt's disk cache: a hit returns exactly what was put, under the exact inputs only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope.analysis import tilt_cache
from rotascope.backtest.calendar import as_index
from rotascope.backtest.replay import replay_dates
from rotascope.monitor.run import Monitor


def test_put_then_get_is_exact_and_keyed_on_the_inputs(monitor: Monitor, tmp_path: Path) -> None:
    mine = dataclasses.replace(monitor, cache_dir=tmp_path)
    days = replay_dates(mine)
    series = pd.Series(np.sin(np.arange(len(days))) / 3, index=as_index(days), name="calibrated_tilt")
    assert tilt_cache.get(mine) is None
    tilt_cache.put(mine, series)
    back = tilt_cache.get(mine)
    assert back is not None
    pd.testing.assert_series_equal(back, series)
    # beside it, the XNYS session list the weekly dates were read from (backtest.calendar.saved_sessions)
    assert [p.name for p in tmp_path.glob("tilt-*")] == [f"tilt-{tilt_cache.tilt_key(mine)}.npz"]
    # other calibration rules: another key, so a miss
    rules = mine.thresholds.calibration.model_copy(
        update={"band_k": mine.thresholds.calibration.band_k + 0.1}
    )
    other = dataclasses.replace(mine, thresholds=mine.thresholds.model_copy(update={"calibration": rules}))
    assert tilt_cache.tilt_key(other) != tilt_cache.tilt_key(mine) and tilt_cache.get(other) is None
    # an unreadable entry is a miss, never an error
    next(tmp_path.glob("tilt-*")).write_bytes(b"not an npz")
    assert tilt_cache.get(mine) is None
