"""Panel: a dates x symbols float array with its labels, the unit indicators work on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rotascope._typing import DateArray, Float64Array, FloatArray
from rotascope.errors import UnknownSymbolError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Panel:
    """Closes (or any field) on a common trading calendar; NaN where a symbol has no value."""

    dates: DateArray
    symbols: tuple[str, ...]
    values: FloatArray
    """float64, or float32 when :meth:`compact` found every value exact in float32 (then arithmetic on
    them must convert to float64 first: :meth:`column`, :meth:`columns` and :meth:`float64` do)."""

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.dates), len(self.symbols)):
            raise ValueError(f"panel shape {self.values.shape} != ({len(self.dates)}, {len(self.symbols)})")

    def column(self, symbol: str) -> Float64Array:
        """One symbol's values over all dates, as float64."""
        try:
            return np.asarray(self.values[:, self.symbols.index(symbol)], dtype=np.float64)
        except ValueError:
            raise UnknownSymbolError(f"Symbol {symbol} is not in this panel.") from None

    def columns(self, symbols: list[str]) -> Float64Array:
        """Several symbols' values, as a (dates x len(symbols)) float64 array."""
        index = {s: i for i, s in enumerate(self.symbols)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise UnknownSymbolError(f"Symbol(s) {', '.join(missing)} not in this panel.")
        return np.asarray(self.values[:, [index[s] for s in symbols]], dtype=np.float64)

    def float64(self) -> Float64Array:
        """All values as float64 (no copy when they already are)."""
        return np.asarray(self.values, dtype=np.float64)

    def compact(self) -> Panel:
        """This panel held as float32 when float32 holds every value exactly (closes stored from float32
        files do), else itself: the same numbers in half the memory."""
        if self.values.dtype == np.float32:
            return self
        with np.errstate(over="ignore"):  # a value beyond float32's range becomes inf: not exact, kept
            small = self.values.astype(np.float32)
        for j in range(0, small.shape[1], 256):  # compared in blocks: no full-size temporaries
            if not np.array_equal(small[:, j : j + 256], self.values[:, j : j + 256], equal_nan=True):
                return self
        return Panel(self.dates, self.symbols, small)

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
