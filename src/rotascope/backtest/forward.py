"""Forward relative returns: the LABEL the signals are judged against, never an input to a signal.

``forward_relative_return_label`` looks into the future by design (that is what a label is). Nothing in
``replay``/``strategies`` imports it; only ``attribution`` (which scores signals after the fact) and the
report do. The name says LABEL so that a reader of any call site sees what it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rotascope._typing import DateArray, Float64Array
from rotascope.backtest.calendar import as_index

DEFAULT_HORIZONS: tuple[int, ...] = (1, 4, 13)


def closes_at(calendar: DateArray, close: Float64Array, asof: DateArray) -> Float64Array:
    """The close on each as-of date (NaN when the as-of is not on ``calendar`` or the close is missing)."""
    cal = np.asarray(calendar).astype("datetime64[D]")
    days = np.asarray(asof).astype("datetime64[D]")
    pos = np.searchsorted(cal, days)
    ok = (pos < len(cal)) & (cal[np.minimum(pos, len(cal) - 1)] == days)
    out = np.full(len(days), np.nan)
    out[ok] = close[pos[ok]]
    return out


def forward_relative_return_label(
    calendar: DateArray,
    numerator: Float64Array,
    denominator: Float64Array,
    asof: DateArray,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
) -> pd.DataFrame:
    """LABEL (uses future prices): forward IWM-minus-SPY return over h weekly steps from each as-of.

    For as-of ``t`` and horizon ``h``: ``(N[t+h] / N[t] - 1) - (D[t+h] / D[t] - 1)`` where ``t+h`` is the
    h-th weekly as-of date after ``t`` (so a holiday-shortened week is still one step). NaN when ``t+h`` is
    beyond the as-of dates (the end of the data) or a close is missing (e.g. before IWM's inception).
    Columns are named ``fwd_{h}w``; the index is the as-of dates.
    """
    if any(h < 1 for h in horizons):
        raise ValueError(f"horizons must be >= 1 week, got {list(horizons)}")
    n_at = closes_at(calendar, numerator, asof)
    d_at = closes_at(calendar, denominator, asof)
    cols: dict[str, Float64Array] = {}
    for h in horizons:
        n_fwd = np.full(len(n_at), np.nan)
        d_fwd = np.full(len(d_at), np.nan)
        if h < len(n_at):
            n_fwd[:-h] = n_at[h:]
            d_fwd[:-h] = d_at[h:]
        cols[f"fwd_{h}w"] = (n_fwd / n_at - 1.0) - (d_fwd / d_at - 1.0)
    return pd.DataFrame(cols, index=as_index(asof))


def horizon_column(h: int) -> str:
    """Column name of horizon ``h`` in the label frame."""
    return f"fwd_{h}w"
