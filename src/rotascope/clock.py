"""Today's date, in one place, so that every "how old is the data" and "is this in the future" is computed
against the same clock and tests can fix it (``ROTASCOPE_TODAY=2026-12-07``) instead of depending on the
day they run."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time

from rotascope.errors import ConfigError

TODAY_ENV = "ROTASCOPE_TODAY"


def _pinned(env: dict[str, str] | None) -> date | None:
    """The day ``ROTASCOPE_TODAY`` fixes, if it is set."""
    text = (os.environ if env is None else env).get(TODAY_ENV, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{TODAY_ENV} must be a date like 2026-12-07, got {text[:40]!r}.") from None


def today(env: dict[str, str] | None = None) -> date:
    """``ROTASCOPE_TODAY`` (YYYY-MM-DD) when set, else the current UTC date."""
    return _pinned(env) or datetime.now(UTC).date()


def now(env: dict[str, str] | None = None) -> datetime:
    """The current UTC time; with ``ROTASCOPE_TODAY`` set, the first second of that day (UTC): nothing of a
    pinned day has traded yet, so `update` stores no bar of it and ``now().date() == today()``."""
    pinned = _pinned(env)
    if pinned is None:
        return datetime.now(UTC)
    return datetime.combine(pinned, time(0, 0), tzinfo=UTC)
