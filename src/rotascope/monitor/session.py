"""One request's as-of, resolved once at its door (a CLI command, a web request, a report, a `watch`
tick) and passed down: the session day it resolves to and how old the data is on the day it is asked.
The layers below take these values; none resolves the as-of or reads the clock again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rotascope.monitor.freshness import Freshness, freshness

if TYPE_CHECKING:
    from rotascope.config import Settings
    from rotascope.monitor.run import Monitor


@dataclass(frozen=True)
class Session:
    """The session a request's as-of resolved to, and the data's freshness when it was asked."""

    as_of: date
    """The last complete session on or before the as-of asked (``Monitor.day``)."""
    fresh: Freshness
    """Today and the data's last complete session, read once for the whole request."""


def open_session(
    monitor: Monitor, settings: Settings, as_of: date | None, today: date | None = None
) -> Session:
    """Resolve ``as_of`` on ``monitor``'s calendar (None: the last complete session; a clear error outside
    the data) and the data's freshness against ``today`` (default: the clock), once."""
    return Session(monitor.day(as_of), freshness(monitor, settings, today))
