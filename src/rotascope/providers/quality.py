"""Data-quality cleaning shared by every provider: remove Yahoo-style glitches, loudly.

Two defects are handled (see DATA.md): non-positive prices, and one-day spikes that reverse the next
day (a rise above ``spike_up`` or a fall beyond ``spike_down`` that the next close undoes to within
``spike_reversal`` of the previous close). Such values are set to NaN and reported as QualityFlags; they
are vendor errors, not prices anyone could trade at. The reversal test reads the next day, so the
newest bar of a series cannot be judged yet and is left as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rotascope._typing import BoolArray, Float64Array
from rotascope.providers.base import QualityFlag


def glitch_mask(close: Float64Array, spike_up: float, spike_down: float, reversal: float) -> BoolArray:
    """True where a close is a one-day spike that reverses; works on (T,) or (T, N) arrays."""
    x = np.asarray(close, dtype=np.float64)
    mask = np.zeros(x.shape, dtype=bool)
    if x.shape[0] < 3:
        return mask
    prev, cur, nxt = x[:-2], x[1:-1], x[2:]
    with np.errstate(invalid="ignore", divide="ignore"):
        jump = cur / prev - 1.0
        back = nxt / prev - 1.0
        spike = ((jump > spike_up) | (jump < -spike_down)) & (np.abs(back) < reversal)
    mask[1:-1] = spike & (prev > 0) & (nxt > 0)
    return mask


def glitches(
    close: npt.NDArray[np.floating[Any]], spike_up: float, spike_down: float, reversal: float
) -> tuple[BoolArray, BoolArray]:
    """Masks of non-positive closes and of reversing one-day spikes in a (T, N) close array.

    Columns are independent, so a wide panel may be checked a block of columns at a time.
    """
    values = np.array(close, dtype=np.float64)
    nonpos = values <= 0
    values[nonpos] = np.nan
    return nonpos, glitch_mask(values, spike_up, spike_down, reversal)


def clean_panel(
    panel: pd.DataFrame, source: str, spike_up: float, spike_down: float, reversal: float
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """Clean a wide (date x symbol) close panel; return the cleaned copy and what changed."""
    nonpos, spikes = glitches(panel.to_numpy(), spike_up, spike_down, reversal)
    values = panel.to_numpy(dtype=np.float64, copy=True)
    values[nonpos | spikes] = np.nan
    raw, dates = panel.to_numpy(), panel.index.to_numpy()
    symbols = tuple(str(c) for c in panel.columns)
    flags = []
    for mask, reason in ((nonpos, "non-positive price"), (spikes, "one-day spike that reverses next day")):
        rows, cols = np.nonzero(mask)
        flags += cell_flags((rows, cols), dates, symbols, raw[rows, cols], reason, source)
    cleaned = pd.DataFrame(values.astype(panel.dtypes.iloc[0]), index=panel.index, columns=panel.columns)
    return cleaned, flags


def cell_flags(
    cells: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
    dates: npt.NDArray[np.datetime64],
    symbols: tuple[str, ...],
    original: npt.NDArray[np.floating[Any]],
    reason: str,
    source: str,
) -> list[QualityFlag]:
    """Flags of wide-panel cells ``(rows, cols)`` set to missing; ``original`` holds their raw values."""
    rows, cols = cells
    days = np.datetime_as_string(dates[rows].astype("datetime64[D]"))
    return [
        QualityFlag(source, symbols[c], str(d), "close", float(v), "set to missing", reason)
        for c, d, v in zip(cols.tolist(), days.tolist(), original.tolist(), strict=True)
    ]


def clean_bars(
    bars: pd.DataFrame, source: str, spike_up: float, spike_down: float, reversal: float
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """Clean long OHLCV bars: non-positive O/H/L become missing; bad or spiking closes drop the bar."""
    bars = bars.sort_values(["symbol", "date"]).reset_index(drop=True)
    sym = bars["symbol"].astype(str).to_numpy()
    days = pd.to_datetime(bars["date"]).dt.strftime("%Y-%m-%d").to_numpy()
    flags: list[QualityFlag] = []
    for col in ("open", "high", "low"):
        values = bars[col].to_numpy(dtype=np.float64)
        bad = values <= 0
        flags += [
            QualityFlag(
                source,
                str(sym[i]),
                str(days[i]),
                col,
                float(values[i]),
                "set to missing",
                "non-positive price",
            )
            for i in np.nonzero(bad)[0].tolist()
        ]
        bars.loc[bad, col] = np.nan
    close = bars["close"].to_numpy(dtype=np.float64)
    drop = close <= 0
    reasons = np.where(drop, "non-positive price", "")
    # spikes within each symbol: compute on the concatenated column and ignore triples that straddle symbols
    same = np.zeros(len(bars), dtype=bool)
    same[1:-1] = (sym[1:-1] == sym[:-2]) & (sym[1:-1] == sym[2:])
    spikes = glitch_mask(np.where(drop, np.nan, close), spike_up, spike_down, reversal) & same
    reasons = np.where(spikes & ~drop, "one-day spike that reverses next day", reasons)
    bad_close = drop | spikes
    flags += [
        QualityFlag(
            source, str(sym[i]), str(days[i]), "close", float(close[i]), "bar dropped", str(reasons[i])
        )
        for i in np.nonzero(bad_close)[0].tolist()
    ]
    return bars.loc[~bad_close].reset_index(drop=True), flags


MAX_PRICE = 1e7
"""No U.S. listing trades above this (BRK.A is under 1e6): a larger price is a vendor error."""
MAX_VOLUME = 1e13
"""More shares than any U.S. listing has traded in a day by orders of magnitude: a vendor error."""


def _flag_rows(
    bars: pd.DataFrame, mask: BoolArray, field: str, action: str, reason: str, source: str
) -> list[QualityFlag]:
    if not mask.any():
        return []
    sym = bars["symbol"].astype(str).to_numpy()
    days = pd.to_datetime(bars["date"]).dt.strftime("%Y-%m-%d").to_numpy()
    values = bars[field].to_numpy(dtype=np.float64)
    return [
        QualityFlag(source, str(sym[i]), str(days[i]), field, float(values[i]), action, reason)
        for i in np.flatnonzero(mask).tolist()
    ]


def check_incoming_bars(
    bars: pd.DataFrame, source: str, spike_up: float, spike_down: float, reversal: float
) -> tuple[pd.DataFrame, list[QualityFlag]]:
    """The rules `init` applies (:func:`clean_bars`), plus the sanity checks a live reply needs: non-finite
    or out-of-range prices (close: bar dropped; open/high/low: set to missing), high below low (both set to
    missing) and non-finite, negative or out-of-range volumes (set to missing)."""
    bars = bars.copy()
    flags: list[QualityFlag] = []
    close = bars["close"].to_numpy(dtype=np.float64)
    bad_close = ~np.isfinite(close) | (np.abs(close) > MAX_PRICE)
    flags += _flag_rows(bars, bad_close, "close", "bar dropped", "non-finite or out-of-range price", source)
    bars = bars.loc[~bad_close].reset_index(drop=True)
    for col in ("open", "high", "low"):
        values = bars[col].to_numpy(dtype=np.float64)
        bad = np.isinf(values) | (np.abs(values) > MAX_PRICE)
        flags += _flag_rows(bars, bad, col, "set to missing", "non-finite or out-of-range price", source)
        bars.loc[bad, col] = np.nan
    high, low = bars["high"].to_numpy(dtype=np.float64), bars["low"].to_numpy(dtype=np.float64)
    inverted = high < low
    for col in ("high", "low"):
        flags += _flag_rows(bars, inverted, col, "set to missing", "high below low", source)
        bars.loc[inverted, col] = np.nan
    volume = bars["volume"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad_volume = np.isinf(volume) | (volume < 0) | (volume > MAX_VOLUME)
    flags += _flag_rows(
        bars.assign(volume=volume), bad_volume, "volume", "set to missing", "out-of-range volume", source
    )
    bars["volume"] = pd.array(np.where(bad_volume | np.isnan(volume), np.nan, volume), dtype="Float64")
    bars["volume"] = bars["volume"].round().astype("Int64")
    cleaned, more = clean_bars(bars, source, spike_up, spike_down, reversal)
    return cleaned, flags + more


def unconfirmed_jump(close: Float64Array, spike_up: float, spike_down: float) -> bool:
    """True when the newest close jumps beyond the spike limits from the one before: a glitch cannot be told
    from a real move until the next session says whether it reverses, so the bar is held back until then."""
    if close.shape[0] < 2 or not (close[-2] > 0):
        return False
    jump = close[-1] / close[-2] - 1.0
    return bool(jump > spike_up or jump < -spike_down)
