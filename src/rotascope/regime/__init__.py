"""Regime layer: evidence ladder, rotation checklist and rotation killers, as explicit rules."""

from rotascope.regime.rules import evaluate
from rotascope.regime.thresholds import Thresholds, load_thresholds

__all__ = ["Thresholds", "evaluate", "load_thresholds"]
