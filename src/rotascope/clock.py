"""Today's date, in one place, so that every "how old is the data" is computed against the same clock and
tests can fix it (``ROTASCOPE_TODAY=2026-12-07``) instead of depending on the day they run."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from rotascope.errors import ConfigError

TODAY_ENV = "ROTASCOPE_TODAY"


def today(env: dict[str, str] | None = None) -> date:
    """``ROTASCOPE_TODAY`` (YYYY-MM-DD) when set, else the current UTC date."""
    text = (os.environ if env is None else env).get(TODAY_ENV, "").strip()
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{TODAY_ENV} must be a date like 2026-12-07, got {text[:40]!r}.") from None
