"""The analysis service (`analysis.service.Analyst`): the one place that assembles an analysis
(CLI, web, watch, report, backtest). Nothing is re-exported here, so the light modules of this package
load without the agents."""
