"""Glue between the agents and the risk toolkit: sizing, invalidation, plan and stress for the tilt."""

from __future__ import annotations

from rotascope.agents.base import AgentContext


def universe_risk(ctx: AgentContext, conviction: float) -> tuple[dict[str, object], float | None, list[str]]:
    """(risk records as JSON-ready dicts, vol-targeted weight, invalidation rules as text)."""
    return {}, None, []
