"""The analysis service: the one place that assembles an analysis (CLI, web, watch, report, backtest)."""

from rotascope.analysis.service import REGIME_BENCHMARK, AgentInputs, Analyst

__all__ = ["REGIME_BENCHMARK", "AgentInputs", "Analyst"]
