"""Standard records every provider produces, whatever its source.

Bulk data crosses module boundaries as pandas frames with a fixed schema (checked by
:func:`check_schema`), because a record per bar would be far too slow for ~12 M member closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rotascope.errors import DatasetError
from rotascope.qualityflag import QualityFlag as QualityFlag

if TYPE_CHECKING:
    import pandas as pd

BAR_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")
TRADED_CLOSE = "close_traded"
"""Optional bar column: the unadjusted (traded) close, beside the dividend-adjusted ``close``."""
SERIES_COLUMNS = ("series_id", "date", "value", "known_at")
INSTRUMENT_COLUMNS = ("symbol", "name", "kind", "sector", "universes", "weight_r2000")
SERIES_META_COLUMNS = ("series_id", "name", "unit", "frequency", "origin")


@dataclass(frozen=True)
class WideCloses:
    """A wide (date x symbol) Parquet close file that the store turns into close-only bars itself.

    The store reads it a block of columns at a time (never whole in memory), leaves out missing cells and
    the cells in ``dropped`` (``symbol, date``: what cleaning set to missing), and checks the count.
    """

    path: Path
    date_column: str
    symbols: tuple[str, ...]
    rows: int
    """Bars the file yields once missing and dropped cells are left out."""
    dropped: pd.DataFrame

    def __len__(self) -> int:
        return self.rows


@dataclass
class DataBatch:
    """What one provider hands to the store in a single atomic load."""

    source: str
    bars: list[pd.DataFrame | WideCloses]
    """Bar frames (several, so that big ones need not be concatenated), or a wide close file to unpivot."""
    series: pd.DataFrame
    instruments: pd.DataFrame
    series_meta: pd.DataFrame
    fingerprint: str
    flags: list[QualityFlag] = field(default_factory=list)
    membership: pd.DataFrame | None = None
    """Point-in-time index lists ``universe, date, symbol, known_at, priced`` (None: the source has none)."""

    def __post_init__(self) -> None:
        for frame in self.bars:
            if not isinstance(frame, WideCloses):
                check_schema(frame, BAR_COLUMNS, "bars")
        check_schema(self.series, SERIES_COLUMNS, "series")
        check_schema(self.instruments, INSTRUMENT_COLUMNS, "instruments")
        check_schema(self.series_meta, SERIES_META_COLUMNS, "series_meta")


def check_schema(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Fail with a clear message when a frame lacks the standard columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetError(f"The {what} data lacks column(s) {', '.join(missing)}.")
