"""Providers fetch data from the outside world (or the embedded dataset) into standard records."""

from rotascope.providers.base import DataBatch, QualityFlag

__all__ = ["DataBatch", "QualityFlag"]
