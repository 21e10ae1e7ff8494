"""Panel: a dates x symbols float64 array with its labels, the unit indicators work on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rotascope._typing import DateArray, Float64Array
from rotascope.errors import UnknownSymbolError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Panel:
    """Closes (or any field) on a common trading calendar; NaN where a symbol has no value."""

    dates: DateArray
    symbols: tuple[str, ...]
    values: Float64Array

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.dates), len(self.symbols)):
            raise ValueError(f"panel shape {self.values.shape} != ({len(self.dates)}, {len(self.symbols)})")

    def column(self, symbol: str) -> Float64Array:
        """One symbol's values over all dates."""
        try:
            return self.values[:, self.symbols.index(symbol)]
        except ValueError:
            raise UnknownSymbolError(f"Symbol {symbol} is not in this panel.") from None

    def columns(self, symbols: list[str]) -> Float64Array:
        """Several symbols' values, as a (dates x len(symbols)) array."""
        index = {s: i for i, s in enumerate(self.symbols)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise UnknownSymbolError(f"Symbol(s) {', '.join(missing)} not in this panel.")
        return self.values[:, [index[s] for s in symbols]]

    def upto(self, as_of: np.datetime64) -> Panel:
        """The panel truncated to dates <= as_of (a view, no copy)."""
        end = int(np.searchsorted(self.dates, as_of, side="right"))
        return Panel(self.dates[:end], self.symbols, self.values[:end])

    def row_of(self, as_of: np.datetime64) -> int:
        """Index of the last date <= as_of (-1 if none)."""
        return int(np.searchsorted(self.dates, as_of, side="right")) - 1

    def to_frame(self) -> pd.DataFrame:
        """As a pandas frame (for display and tests)."""
        import pandas as pd  # deferred: display and tests only; the monitor's warm path has no pandas

        return pd.DataFrame(self.values, index=pd.DatetimeIndex(self.dates), columns=list(self.symbols))
