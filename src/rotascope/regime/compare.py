"""The comparison operators every rule and every agent claim is judged by: one table for both layers.

The regime rules compare one value with one threshold (:func:`holds`); the agents' vectorised claims
compare whole columns (``agents.vector.judge``). Both look the operator up here, so a rule written with
``">="`` means the same thing in the ladder and in a claim.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Comparison = Literal[">=", "<=", ">", "<"]
"""How a value is judged against its threshold (the value on the left)."""

OPS: dict[str, np.ufunc] = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
}
"""Element-wise comparisons: scalars or arrays (NaN never passes)."""


def holds(value: float, comparison: str, threshold: float) -> bool:
    """Whether ``value comparison threshold`` holds for one value."""
    return bool(OPS[comparison](value, threshold))
