"""The record of one cleaning change to a raw value (kept low, so the universe lists and the providers that
clean data share it without the lists importing the providers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QualityFlag:
    """One change the loader made to a raw value, and why."""

    source: str
    symbol: str
    date: str
    field: str
    original: float
    action: str
    reason: str
