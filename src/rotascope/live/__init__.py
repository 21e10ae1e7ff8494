"""Live data: `rotascope update` (providers → store), `rotascope watch` (update → analyze → alerts) and
optional LLM narration of a stored analysis. Nothing here runs unless one of those commands is used; the
product works offline on the embedded dataset without it."""

from rotascope.live.update import SOURCES, ItemResult, UpdateReport, run_update

__all__ = ["SOURCES", "ItemResult", "UpdateReport", "run_update"]
