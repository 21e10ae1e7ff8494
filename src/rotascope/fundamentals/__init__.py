"""Company fundamentals point in time: the store tables and loader, the quality score and the screen."""

from rotascope.fundamentals.store import Fundamentals, load_fundamentals

__all__ = ["Fundamentals", "load_fundamentals"]
