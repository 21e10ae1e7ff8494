"""Type aliases shared across rotascope: shaped arrays and option sets."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Float64Array = npt.NDArray[np.float64]
"""Float array; 2-D arrays are (dates x symbols) panels, 1-D arrays are one series over dates."""
FloatArray = npt.NDArray[np.floating[Any]]
"""float64, or float32 where that holds the values exactly (big member close panels: half the memory)."""
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]
"""Dates as ``datetime64[D]``, ascending, unique."""

Stance = Literal["bullish", "neutral", "bearish"]
Quadrant = Literal["leading", "weakening", "lagging", "improving"]
OutputFormat = Literal["table", "json"]
InstrumentKind = Literal["etf", "index", "stock", "volatility"]
