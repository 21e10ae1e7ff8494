"""The base of every typed record: immutable, strict, deterministic JSON (a leaf: imports nothing of
rotascope, so record modules at any stage can build on it)."""

from __future__ import annotations

import json
import math
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
    """Base: immutable, strict fields, deterministic JSON. Validators are built on first use
    (``defer_build``): a run pays only for the records it makes (most of the import time otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
