"""Specialist agents (fundamentals, macro, internals, sentiment), their debate, the decision agent."""

from rotascope.agents.run import AGENTS, analysis_id, universe_analysis

__all__ = ["AGENTS", "analysis_id", "universe_analysis"]
