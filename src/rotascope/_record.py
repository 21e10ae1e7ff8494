"""The base of every typed record: immutable, strict, deterministic JSON, and the rounding of its numbers
(a leaf: imports only the type aliases of rotascope, so record modules at any stage can build on it)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from rotascope._typing import Float64Array

DECIMALS = 6


def rnd(value: float | None, decimals: int = DECIMALS) -> float | None:
    """Round for stable output; NaN/inf become None (JSON has no NaN)."""
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v):
        return None
    return round(v, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def rnd_array(x: Float64Array, decimals: int = DECIMALS) -> Float64Array:
    """``records.rnd`` over an array: Python's correctly rounded ``round``, NaN for non-finite values.

    ``np.round`` (scale, round half to even, unscale) agrees with Python's ``round`` except when the scaled
    value sits within rounding error of a half; those few elements are rounded by Python itself.
    """
    a = np.asarray(x, dtype=np.float64)
    out = np.round(a, decimals)
    fin = np.isfinite(a)
    out[~fin] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(a * 10.0**decimals)
        near_half = fin & (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if near_half.any():
        idx = np.flatnonzero(near_half)
        flat = out.reshape(-1)
        flat[idx] = [round(v, decimals) for v in a.reshape(-1)[idx].tolist()]
    out += 0.0  # -0.0 -> 0.0, as rnd does
    return out


class Record(BaseModel):
    """Base: immutable, strict fields, deterministic JSON. Validators are built on first use
    (``defer_build``): a run pays only for the records it makes (most of the import time otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
