"""Weekly as-of dates: the last NYSE session of each week that the stored data also holds.

Why a calendar and not ``resample("W-FRI")``: a weekly replay must take its decision on a real close.
Fridays are holidays now and then (Good Friday, July 4th, Christmas), and whole weeks were cut short
(2001-09-11 to 09-14, Hurricane Sandy 2012-10-29/30, national days of mourning). The exchange's own
calendar (``exchange_calendars`` XNYS) says which days were sessions, so the as-of of each week is:

* the last XNYS session of the Monday-Sunday week (Good Friday 2024-03-29 → Thursday 2024-03-28; the week
  of 2001-09-11 → Monday 2001-09-10, the only session that week);
* intersected with the data calendar (SPY's trading days): when the data miss that session (a gap in the
  source), the last session of the same week that the data do hold is used instead; a week with no such
  session is skipped;
* the last, still-running week is dropped when its final XNYS session lies after the last stored date
  (a Wednesday is not a week's close; the replay would otherwise mix a partial week with full ones);
* a date the data hold but XNYS does not list as a session (a vendor glitch) is never an as-of.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from datetime import date
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from rotascope._typing import DateArray
from rotascope.atomicfile import atomic_write
from rotascope.errors import RotascopeError
from rotascope.store.cache import discard
from rotascope.weeks import last_per_week as last_per_week
from rotascope.weeks import week_key
from rotascope.weeks import week_last_index as week_last_index

EXCHANGE = "XNYS"
CAL_START = "1990-01-01"
"""exchange_calendars builds only the window asked for (default: the last 20 years), so ask for it all."""


@functools.lru_cache(maxsize=4)
def nyse_sessions(start: str = CAL_START, end: str | None = None) -> DateArray:
    """XNYS sessions from ``start`` to ``end`` (default: the calendar's own horizon) as datetime64[D].

    exchange_calendars 4.x trips a pandas-3 deprecation (``Series.values`` on tz-aware data) while it
    builds the schedule; that warning is about its internals, not our data, so it is silenced here only.
    """
    # deferred: exchange_calendars (~0.8 s) loads only when the XNYS sessions are first needed, not on
    # every import of the backtest/calibration modules (it ships no type information, hence the ignore)
    import exchange_calendars as xc  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        kwargs = {"start": start} if end is None else {"start": start, "end": end}
        cal = xc.get_calendar(EXCHANGE, **kwargs)
        sessions = cal.sessions
    return np.asarray(sessions.to_numpy().astype("datetime64[D]"))


SAVED_MARGIN_DAYS = 14
"""A saved session list serves a data calendar it covers by at least this many days past its last date
(the last week's close must be known to drop a running week)."""


def saved_sessions(folder: Path | None, through: np.datetime64) -> DateArray:
    """``nyse_sessions()``, kept in ``folder`` as ``xnys-<exchange_calendars version>.npy`` so a warm run
    neither imports exchange_calendars nor builds its holiday rules (~1 s). Sessions up to ``through`` plus
    ``SAVED_MARGIN_DAYS`` are all the weekly as-ofs read, and they are fixed for a library version; a file
    that ends earlier or does not read back is rebuilt (no folder: computed every time)."""
    if folder is None:
        return nyse_sessions()
    try:
        version = metadata.version("exchange_calendars")
    except metadata.PackageNotFoundError:
        return nyse_sessions()
    path = folder / f"xnys-{version}.npy"
    need = np.asarray(through).astype("datetime64[D]") + np.timedelta64(SAVED_MARGIN_DAYS, "D")
    if path.exists():
        try:
            saved = np.asarray(np.load(path, allow_pickle=False), dtype="datetime64[D]")
            if len(saved) and saved[-1] >= need:
                return saved
        except Exception as exc:  # NumPy raises many types for a damaged file
            discard(path, exc)
    sessions = nyse_sessions()
    if len(sessions) and sessions[-1] >= need:
        buf = io.BytesIO()
        np.save(buf, sessions, allow_pickle=False)
        with contextlib.suppress(OSError, RotascopeError):
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, buf.getvalue())
    return sessions


def weekly_asof(
    calendar: DateArray, start: date | None = None, end: date | None = None, sessions: DateArray | None = None
) -> DateArray:
    """Weekly as-of dates (datetime64[D]) on ``calendar`` between ``start`` and ``end`` inclusive.

    ``sessions`` defaults to the XNYS sessions; tests may pass their own. See the module docstring for
    holidays, short weeks, data gaps and the partial last week.
    """
    cal = np.asarray(calendar).astype("datetime64[D]")
    if len(cal) == 0:
        return cal
    xnys = nyse_sessions() if sessions is None else np.asarray(sessions).astype("datetime64[D]")
    usable = cal[np.isin(cal, xnys)]
    out = last_per_week(usable)
    # drop the running week: its true close (the last XNYS session of that week) is after the data
    if len(out):
        last_key = week_key(out[-1:])[0]
        week_sessions = xnys[week_key(xnys) == last_key]
        if len(week_sessions) and week_sessions[-1] > cal[-1]:
            out = out[:-1]
    if start is not None:
        out = out[out >= np.datetime64(start, "D")]
    if end is not None:
        out = out[out <= np.datetime64(end, "D")]
    return out


def window_end(calendar: DateArray, end: date | None) -> np.datetime64:
    """The window's last trading day: the last calendar day on or before ``end`` (default: the last one).
    Positions open then are closed at its close; nothing later is read."""
    cal = np.asarray(calendar).astype("datetime64[D]")
    if end is None:
        return np.datetime64(cal[-1], "D")
    i = int(np.searchsorted(cal, np.datetime64(end, "D"), side="right")) - 1
    return np.datetime64(cal[max(i, 0)], "D")


def as_index(days: DateArray) -> pd.DatetimeIndex:
    """As-of dates as the DatetimeIndex the replay and the strategies use (named ``as_of``)."""
    return pd.DatetimeIndex(np.asarray(days).astype("datetime64[ns]"), name="as_of")
