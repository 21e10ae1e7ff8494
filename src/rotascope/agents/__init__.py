"""Specialist agents (fundamentals, macro, internals, sentiment), their debate, and the decision/risk agent."""

from rotascope.agents.run import AGENTS, analysis_id, universe_analysis

__all__ = ["AGENTS", "analysis_id", "universe_analysis"]
