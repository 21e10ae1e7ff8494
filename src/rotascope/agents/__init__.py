"""Specialist agents (fundamentals, macro, internals, sentiment), their debate, the decision agent."""

from rotascope.agents.run import AGENTS, universe_analysis
from rotascope.records import analysis_id

__all__ = ["AGENTS", "analysis_id", "universe_analysis"]
