"""What one `rotascope update` run did, per item, and its plain-sentence summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

SOURCES = ("yahoo", "polygon", "fred", "sec", "news", "ishares", "french")
SOURCE_NAMES = {
    "yahoo": "Yahoo Finance",
    "polygon": "Polygon.io",
    "fred": "FRED",
    "sec": "SEC EDGAR",
    "news": "News feeds",
    "ishares": "iShares",
    "french": "Kenneth French library",
}
Failure = Literal["unreachable", "refused", "unavailable", "bad"]
"""Why an item failed: no reply at all, refused (key, setting), unavailable (5xx, 429), bad reply."""


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item: updated / unchanged / resumed / failed / skipped."""

    source: str
    item: str
    status: str
    rows: int = 0
    message: str = ""
    last: date | None = None
    """Last stored date of the item after the attempt (the cached data a failure falls back to)."""
    stale: bool = False
    """Failed or skipped, and the cached data is older than ``stale_days``."""
    flagged: tuple[str, ...] = ()
    """Reasons of the values cleaned on the way in (one per value; listed in ``quality_flags``)."""
    failure: Failure | None = None
    """Why an attempted item failed: no reply at all (offline), refused (a key or setting), unavailable
    (5xx, 429) or a bad reply."""


@dataclass
class UpdateReport:
    """Outcome of one `rotascope update` run, per item, plus notes on sources not run."""

    started_at: datetime
    items: list[ItemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.items if r.status in ("failed", "skipped")]

    @property
    def cleaned(self) -> list[ItemResult]:
        """Items whose reply held values that were cleaned (dropped, set to missing or held back)."""
        return [r for r in self.items if r.flagged]

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing needed cleaning (`update` exits 1 otherwise)."""
        return not self.failed and not self.cleaned

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.items)

    def summary_lines(self) -> list[str]:
        """Plain sentences: per source counts, then exactly what failed and which cached data is stale."""
        lines: list[str] = []
        for source in self.sources:
            mine = [r for r in self.items if r.source == source]
            if not mine:
                continue
            count = {s: sum(1 for r in mine if r.status == s) for s in ("updated", "unchanged", "resumed")}
            bad = [r for r in mine if r.status in ("failed", "skipped")]
            parts = [f"{count['updated']} updated ({sum(r.rows for r in mine):,} rows)"]
            parts.append(f"{count['unchanged']} already up to date")
            if count["resumed"]:
                parts.append(f"{count['resumed']} done by the interrupted previous run")
            if bad:
                parts.append(f"{len(bad)} FAILED")
            lines.append(f"{SOURCE_NAMES[source]}: {len(mine)} items: {', '.join(parts)}.")
        lines.extend(self.notes)
        flagged = [r for r in self.items if r.flagged]
        if flagged:
            listed = "; ".join(
                f"{r.item}: " + ", ".join(f"{n} × {why}" for why, n in Counter(r.flagged).most_common())
                for r in flagged[:20]
            )
            more = f" and {len(flagged) - 20} more items" if len(flagged) > 20 else ""
            lines.append(f"Cleaned on the way in (listed in table quality_flags): {listed}{more}.")
        for r in self.failed:
            kept = f"kept cached data to {r.last}" if r.last else "nothing cached"
            lines.append(f"FAILED {SOURCE_NAMES[r.source]} {r.item}: {r.message} ({kept}).")
        stale = [r for r in self.failed if r.stale]
        if stale:
            listed = ", ".join(f"{r.item} (last {r.last})" for r in stale[:20])
            more = f" and {len(stale) - 20} more" if len(stale) > 20 else ""
            lines.append(f"Now stale (not refreshed, older than the stale_days limit): {listed}{more}.")
        return lines
