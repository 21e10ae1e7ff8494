"""The one rule engine: value columns against thresholds, and checks combined into an answer, over any
leading axis -- a universe's members, a replay's weeks, or one as-of (an axis of length 1).

Values are float arrays whose last axis is the checks (NaN = no data). A check's verdict is 1.0 (passed),
0.0 (failed) or NaN (unknown: no value). The regime's ladder, checklist and killers (``regime.spec``) and
the agents' claims (``agents.vector.judge``) are judged by these functions, so ``">="``, "all" and "any"
mean one thing in both layers, for one week and for every week.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from rotascope._typing import BoolArray, Float64Array

Comparison = Literal[">=", "<=", ">", "<"]
"""How a value is judged against its threshold (the value on the left)."""

Combine = Literal["all", "any"]
"""How checks make one answer: all passed, or any known one passed (unknown when none is known)."""

OPS: dict[str, np.ufunc] = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
}
"""Element-wise comparisons: scalars or arrays (NaN never passes)."""

Bar = float | Float64Array
"""A check's threshold: one number for every row, or one per row."""


def passes(values: Float64Array, bars: Sequence[Bar], ops: Sequence[str]) -> BoolArray:
    """Whether each value passes its check's comparison (values ``(..., checks)``; ``bars[j]`` one number
    or an array over the leading axes, for check ``j``); a missing value or bar never passes."""
    v = np.asarray(values, dtype=np.float64)
    out = np.zeros(v.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for j, op in enumerate(ops):
            out[..., j] = OPS[op](v[..., j], np.asarray(bars[j], dtype=np.float64))
    return out


def verdicts(values: Float64Array, bars: Sequence[Bar], ops: Sequence[str]) -> Float64Array:
    """Each check's verdict: 1.0 passed, 0.0 failed, NaN unknown (no value)."""
    v = np.asarray(values, dtype=np.float64)
    out: Float64Array = np.where(np.isfinite(v), passes(v, bars, ops).astype(np.float64), np.nan)
    return out


def combine(how: Combine, verdict: Float64Array, present: BoolArray | None = None) -> Float64Array:
    """Checks ``(..., checks)`` made one answer ``(...)``: ``"all"`` 1.0 when every present check passed
    (an unknown one fails), else 0.0; ``"any"`` 1.0 when a known present check passed, 0.0 when every known
    one failed, NaN when none is known. ``present`` leaves out the checks a row does not make."""
    v = np.asarray(verdict, dtype=np.float64)
    made = np.ones(v.shape, dtype=bool) if present is None else present
    passed = made & (v == 1.0)
    if how == "all":
        return np.asarray((passed | ~made).all(axis=-1), dtype=np.float64)
    known = (made & np.isfinite(v)).any(axis=-1)
    out: Float64Array = np.where(known, passed.any(axis=-1).astype(np.float64), np.nan)
    return out


def reached(passed: Float64Array, levels: tuple[int, ...]) -> Float64Array:
    """The highest level reached per row (``passed``: levels x rows, 1/0): it and every level below it
    passed (0 where the first failed)."""
    held = np.cumprod(np.asarray(passed) == 1.0, axis=0)
    out: Float64Array = np.max(np.vstack([np.zeros(held.shape[1]), held * np.array(levels)[:, None]]), axis=0)
    return out


def tri(value: float) -> bool | None:
    """A verdict or answer as a record holds it: True, False, or None for unknown."""
    return None if not np.isfinite(value) else bool(value == 1.0)


def holds(value: float, comparison: str, threshold: float) -> bool:
    """Whether ``value comparison threshold`` holds for one value (the engine on an axis of length 1)."""
    return bool(passes(np.array([value]), [threshold], [comparison])[0])
