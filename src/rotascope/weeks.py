"""The one week grouping: Monday-Sunday weeks of a sorted date array, as the replay, the calibration's size
prior and the screen backtest count them (a low module, so those layers share it without importing each
other)."""

from __future__ import annotations

import numpy as np

from rotascope._typing import DateArray


def week_key(days: DateArray) -> np.ndarray:
    """Monday of each day's week (Monday-Sunday weeks), as an int64 day number."""
    n = days.astype("datetime64[D]").astype(np.int64)
    # 1970-01-01 was a Thursday: (n + 3) % 7 is 0 on Mondays
    return np.asarray(n - (n + 3) % 7)


def week_last_index(days: DateArray) -> np.ndarray:
    """Positions of the last date of each Monday-Sunday week among sorted ``days``: the one week grouping
    (the replay, the calibration's size prior and the screen backtest all use it)."""
    if len(days) == 0:
        return np.zeros(0, dtype=np.int64)
    key = week_key(np.asarray(days))
    return np.flatnonzero(np.r_[key[1:] != key[:-1], True])


def last_per_week(days: DateArray) -> DateArray:
    """The last date of each Monday-Sunday week among sorted ``days``."""
    return np.asarray(np.asarray(days)[week_last_index(days)], dtype="datetime64[D]")
