"""Typed records that cross module boundaries (DESIGN.md): Evidence and the monitor's outputs.

All floats are rounded at construction (``rnd``) so that the same data gives byte-identical JSON.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

DECIMALS = 6


def rnd(value: float | None, decimals: int = DECIMALS) -> float | None:
    """Round for stable output; NaN/inf become None (JSON has no NaN)."""
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v):
        return None
    return round(v, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


class Record(BaseModel):
    """Base: immutable, strict fields, deterministic JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Evidence(Record):
    """One measured fact a claim rests on: the value, the rule it is judged by, and where it comes from."""

    name: str
    value: float | None
    threshold: float | None = None
    comparison: str = ""
    passed: bool | None = None
    as_of: date
    source: str
    window: str = ""
    unit: str = ""
    note: str = ""


class RelativeStrength(Record):
    """A ratio pair's relative returns over the standard windows, as of one date."""

    pair: str
    numerator: str
    denominator: str
    as_of: date
    ratio: float | None
    returns: dict[str, float | None]
    """Relative return of the ratio over each window (e.g. "1m": 0.021 = +2.1 % vs the denominator)."""
    source: str
