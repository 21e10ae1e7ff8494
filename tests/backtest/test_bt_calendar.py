"""Weekly as-of calendar: the last NYSE session of each week, on real holiday and short weeks."""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope.backtest.calendar import last_per_week, nyse_sessions, weekly_asof
from rotascope.monitor.run import Monitor


def _days(*iso: str) -> np.ndarray:
    return np.array(iso, dtype="datetime64[D]")


def test_holiday_weeks_use_the_last_session(monitor: Monitor) -> None:
    days = weekly_asof(monitor.panel.calendar)
    as_set = set(days.astype(str))
    # Good Friday 2024-03-29: the week closes on Thursday
    assert "2024-03-28" in as_set and "2024-03-29" not in as_set
    # Christmas Friday 2020-12-25 -> Thursday 2020-12-24 (a half day, still a session)
    assert "2020-12-24" in as_set
    # Juneteenth Friday 2026-06-19 -> Thursday 2026-06-18
    assert "2026-06-18" in as_set


def test_september_2001_closure(monitor: Monitor) -> None:
    """NYSE was shut 2001-09-11..14: that week's only session, Monday 09-10, is its as-of."""
    days = weekly_asof(monitor.panel.calendar, date(2001, 8, 27), date(2001, 9, 30))
    assert list(days.astype(str)) == ["2001-08-31", "2001-09-07", "2001-09-10", "2001-09-21", "2001-09-28"]


def test_one_per_week_on_data_and_exchange_calendars(monitor: Monitor) -> None:
    cal = monitor.panel.calendar
    days = weekly_asof(cal)
    assert np.all(np.diff(days.astype(np.int64)) > 0)
    assert np.isin(days, cal).all() and np.isin(days, nyse_sessions()).all()
    monday = days.astype(np.int64) - (days.astype(np.int64) + 3) % 7
    assert len(np.unique(monday)) == len(days)  # exactly one as-of per Monday-Sunday week
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    assert weekday.max() <= 4


def test_data_gap_falls_back_to_the_last_held_session() -> None:
    """A Friday missing from the data (a source gap) makes Thursday that week's as-of."""
    sessions = _days("2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10", "2024-05-13")
    data = _days("2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-13")
    got = weekly_asof(data, sessions=np.r_[sessions, _days("2024-05-17")])
    assert list(got.astype(str)) == ["2024-05-09"]  # the running week of 05-13 is dropped


def test_partial_last_week_is_dropped_and_complete_last_week_kept() -> None:
    sessions = _days("2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10")
    assert list(weekly_asof(sessions[:3], sessions=sessions).astype(str)) == []  # ends on Wednesday
    assert list(weekly_asof(sessions, sessions=sessions).astype(str)) == ["2024-05-10"]


def test_dates_not_listed_by_the_exchange_are_never_as_of() -> None:
    sessions = _days("2024-05-06", "2024-05-07")
    data = _days("2024-05-06", "2024-05-07", "2024-05-11")  # a Saturday bar (vendor glitch)
    assert list(weekly_asof(data, sessions=sessions).astype(str)) == ["2024-05-07"]


def test_last_per_week_groups_monday_to_sunday() -> None:
    days = _days("2024-12-30", "2024-12-31", "2025-01-02", "2025-01-03", "2025-01-06")
    assert list(last_per_week(days).astype(str)) == ["2025-01-03", "2025-01-06"]
