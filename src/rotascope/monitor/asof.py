"""Resolve and validate as-of dates against the stored calendar."""

from __future__ import annotations

from datetime import date

import numpy as np

from rotascope._typing import DateArray
from rotascope.errors import DataError, DateOutOfRangeError


def parse_date(text: str, option: str = "--as-of") -> date:
    """Parse YYYY-MM-DD with a clear error."""
    if not text.strip():
        raise DataError(f"{option} must be a date like 2024-03-28, got an empty value (omit it: latest).")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:79] + "…"
        raise DataError(f"{option} must be a date like 2024-03-28, got {shown}.") from None


def resolve_as_of(calendar: DateArray, as_of: date | None, min_history: int = 0) -> date:
    """The last trading date <= as_of on ``calendar`` (latest when None); errors outside the data."""
    if len(calendar) == 0:
        raise DataError("No trading dates are stored.")
    first, last = calendar[0].astype(date), calendar[-1].astype(date)
    if as_of is None:
        return last  # type: ignore[no-any-return]
    if as_of > last:
        raise DateOutOfRangeError(
            f"As-of {as_of} is after the last stored date {last}; pick an earlier date or load newer data."
        )
    row = int(np.searchsorted(calendar, np.datetime64(as_of, "D"), side="right")) - 1
    if row < min_history:
        need = calendar[min(min_history, len(calendar) - 1)].astype(date)
        raise DateOutOfRangeError(
            f"As-of {as_of} is too early: the data starts {first} and the monitor "
            f"needs {min_history} trading days of history, so the earliest as-of is {need}."
        )
    return calendar[row].astype(date)  # type: ignore[no-any-return]
