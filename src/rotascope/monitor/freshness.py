"""How old the data is: the last complete session and its age in days before today, said first by every
output (terminal, JSON, report, dashboard, `watch`).

The age depends on the day it is read, so it is added when an answer is shown, never to what is hashed
or stored (a stored analysis stays the same answer whichever day it is printed).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from rotascope._record import Record
from rotascope.clock import today as clock_today

if TYPE_CHECKING:
    from rotascope.config import Settings
    from rotascope.monitor.run import Monitor

REFRESH_COMMAND = "rotascope update"


class Freshness(Record):
    """The data's last complete session, how many days before today that is, and whether that is stale."""

    data_as_of: date
    """The last session on which every input the ladder reads is present."""
    today: date
    data_age_days: int
    stale: bool
    """``data_age_days`` is above ``stale_days``."""
    stale_days: int
    """The ``stale_days`` setting."""
    complete_note: str | None = None
    """Why the data's latest session is not the one answered (an input behind the others), if it is not."""

    def line(self) -> str:
        """The first line of every output."""
        age = f"{self.data_age_days} day{'' if self.data_age_days == 1 else 's'} before today ({self.today})"
        if self.stale:
            return (
                f"STALE DATA: the last complete session is {self.data_as_of}, {age}, older than the "
                f"stale_days limit of {self.stale_days}; run `{REFRESH_COMMAND}` to refresh."
            )
        return f"Data: the last complete session is {self.data_as_of}, {age}."

    def lines(self) -> list[str]:
        """The freshness line, then the completeness note when one input held the as-of back."""
        return [self.line(), *([self.complete_note] if self.complete_note else [])]


def freshness(monitor: Monitor, settings: Settings, today: date | None = None) -> Freshness:
    """The freshness of ``monitor``'s data against ``today`` (default: the clock, ``ROTASCOPE_TODAY``)."""
    day = today or clock_today()
    complete = monitor.complete
    age = (day - complete.last).days
    return Freshness(
        data_as_of=complete.last,
        today=day,
        data_age_days=age,
        stale=age > settings.stale_days,
        stale_days=settings.stale_days,
        complete_note=complete.note(),
    )


def fresh_payload(answer: dict[str, Any], fresh: Freshness) -> dict[str, Any]:
    """An answer's JSON object with the freshness fields added at its top level (the CLI's JSON and the web
    API's bodies carry the same keys)."""
    return {**answer, **fresh.model_dump(mode="json")}


def with_freshness(record: Record, fresh: Freshness) -> str:
    """``record``'s canonical JSON with the freshness fields added at its top level (sorted keys, two-space
    indent, trailing newline, as ``Record.to_json``)."""
    return json.dumps(fresh_payload(record.model_dump(mode="json"), fresh), sort_keys=True, indent=2) + "\n"
