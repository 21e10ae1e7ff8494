"""The agents' weekly signals for `rotascope backtest` and the calibration, computed for every week at once.

The replay reads only the monitor panel (prices, series by ``known_at``): stored headlines and SEC facts
cover a few recent periods at most, so the replay runs the agents without them and says so. Without them
each agent's claims are fixed specs (``agents.columns.ClaimSpec``): :func:`agent_frame` reads their columns
at every weekly row, judges them, scores the opinions, plays the debate and sizes the decision with the
array kernels of ``agents.vector`` -- the kernels the per-week analysis (:func:`agent_signals`, which also
words every claim) runs on its one row, so both give the same numbers (tested on random weeks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rotascope._typing import DateArray, Float64Array
from rotascope.agents import fundamentals, internals, macro, sentiment, vector
from rotascope.agents.base import TOPIC_OF, AgentContext
from rotascope.agents.columns import ClaimSpec
from rotascope.agents.debate import run_debate
from rotascope.agents.risk_view import tilt_weights
from rotascope.agents.run import opinions_for
from rotascope.analysis import tilt_cache
from rotascope.backtest.calendar import as_index
from rotascope.monitor.run import Monitor, MonitorResult

REPLAY_CONFIG = "replay"
"""Config-hash stand-in for replay analyses (never stored)."""
REPLAY_AGENTS: tuple[tuple[str, tuple[ClaimSpec, ...]], ...] = (
    (fundamentals.NAME, fundamentals.PROXY_CLAIMS),
    (macro.NAME, macro.CLAIMS),
    (internals.NAME, internals.CLAIMS),
    (sentiment.NAME, ()),
)
"""The agents in debate order with the claims they make without company data or headlines."""


def agent_signals(monitor: Monitor, as_of: date) -> dict[str, float]:
    """The agents' final scores and the evidence score's conviction and tilt at one as-of (the per-week
    path): the worded agents' debate (as the universe analysis runs it, without headlines or company
    facts), sized by the kernels :func:`agent_frame` runs on every week."""
    result = monitor.at(as_of)
    final = run_debate(
        opinions_for(AgentContext(result, monitor.panel, None, monitor.thresholds)),
        monitor.thresholds.agents.debate,
    ).final
    regime = result.regime
    fired = sum(1 for k in regime.killers if k.triggered)
    score = np.array([[o.score for o in final]], dtype=np.float64).reshape(1, len(final))
    conf = np.array([[o.confidence for o in final]], dtype=np.float64).reshape(1, len(final))
    conviction = vector.conviction(
        score, conf, np.array([float(regime.ladder.reached)]), np.array([float(fired)])
    )
    row = np.searchsorted(monitor.panel.calendar, np.datetime64(result.as_of, "D"), side="right") - 1
    out = {f"agent_{o.agent}": o.score for o in final}
    out["decision_conviction"] = float(conviction[0])
    out["decision_tilt"] = float(
        vector.tilt(conviction, tilt_weights(monitor.panel, np.array([row], dtype=np.int64)))[0]
    )
    return out


def _fired(regime: pd.DataFrame) -> Float64Array:
    killers = [c for c in regime.columns if str(c).startswith("killer_")]
    return np.asarray((regime[killers].to_numpy() == 1.0).sum(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class AgentScores:
    """The agents' debated scores of every week: all of the signals that do not need the regime."""

    days: DateArray
    agents: tuple[str, ...]
    score: Float64Array
    """weeks x agents, the final (rounded) scores."""
    confidence: Float64Array
    vol_weight: Float64Array
    """The tilt's vol-targeted weight per week (NaN: sizing not available)."""


def agent_scores(monitor: Monitor, days: DateArray) -> AgentScores:
    """Judge the agents' claims, score the opinions and play the debate on every week of ``days``."""
    panel = monitor.panel
    rules = monitor.thresholds.agents
    rows = np.searchsorted(panel.calendar, np.asarray(days, dtype="datetime64[D]"), side="right") - 1
    rows = rows.astype(np.int64)
    columns: dict[str, Float64Array] = {}
    specs = [(i, spec) for i, (_, agent_specs) in enumerate(REPLAY_AGENTS) for spec in agent_specs]
    for _, spec in specs:
        for col in spec.columns:
            if col.name not in columns:
                columns[col.name] = col.at(panel, rows)
    judged = [spec.judge(columns, monitor.thresholds) for _, spec in specs]
    n = len(rows)
    table = vector.Claims(
        agents=tuple(name for name, _ in REPLAY_AGENTS),
        ids=tuple(f"{spec.agent}.{spec.key}" for _, spec in specs),
        agent_of=np.array([i for i, _ in specs], dtype=np.int64),
        topics=tuple(TOPIC_OF.get(spec.key, "") for _, spec in specs),
        weight=vector.rnd_array(np.array([spec.weight for _, spec in specs]), 4),
        sign=np.column_stack([s for s, _ in judged]) if judged else np.zeros((n, 0)),
        strength=np.column_stack([s for _, s in judged]) if judged else np.zeros((n, 0)),
    )
    _, conf0 = table.opinion_scores()
    played = vector.debate(table, vector.rnd_array(conf0, 4), rules.debate)
    raw, _ = table.opinion_scores(played.weights)
    return AgentScores(
        days=np.asarray(days, dtype="datetime64[D]"),
        agents=table.agents,
        score=vector.rnd_array(raw, 4),
        confidence=vector.rnd_array(played.confidence, 4),
        vol_weight=tilt_weights(panel, rows),
    )


def agent_frame(scores: AgentScores, regime: pd.DataFrame) -> pd.DataFrame:
    """The agent signals of every week (``regime``: the replay's ladder and killer columns on the same
    dates), as :func:`agent_signals` gives them week by week."""
    reached = regime["ladder_reached"].to_numpy(dtype=np.float64)
    conviction = vector.conviction(scores.score, scores.confidence, reached, _fired(regime))
    out = {f"agent_{name}": scores.score[:, i] for i, name in enumerate(scores.agents)}
    out["decision_conviction"] = conviction
    out["decision_tilt"] = vector.tilt(conviction, scores.vol_weight)
    return pd.DataFrame(out, index=as_index(scores.days), dtype=np.float64)


class AgentReplay:
    """The agents as replay signals: every week at once (``prepare`` then ``frame``, used by
    ``backtest.replay``), or one week from its MonitorResult (calling it: the per-week path)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def prepare(self, days: DateArray) -> AgentScores:
        return agent_scores(self.monitor, days)

    def frame(self, prepared: object, regime: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(prepared, AgentScores):
            raise TypeError("AgentReplay.frame needs the AgentScores its prepare() made")
        return agent_frame(prepared, regime)

    def __call__(self, result: MonitorResult) -> dict[str, float]:
        return agent_signals(self.monitor, result.as_of)


def replay_extra(monitor: Monitor) -> AgentReplay:
    """The agent signals for the backtest replay and the calibration's feature table."""
    return AgentReplay(monitor)


CALIBRATED_TILT = "calibrated decision tilt (walk-forward probabilities, the decision agent's rule)"
"""What strategy 3 of `rotascope backtest` trades (``rotascope.analysis.calibrated_tilt``)."""


def calibrated_tilt(monitor: Monitor) -> pd.Series:
    """The decision agent's calibrated tilt at every weekly as-of (imported when the backtest runs: the
    calibrator pulls in scikit-learn, which the CLI's start-up should not), from the disk cache
    (``analysis.tilt_cache``) when the exact inputs were seen before."""
    cached = tilt_cache.get(monitor)
    if cached is not None:
        return cached
    # deferred: the calibrator (scikit-learn) loads only when strategy 3 is traded and its tilt is not in
    # the cache, not when `review` or `backtest --sweep` import this module
    from rotascope.analysis.calibrated_tilt import calibrated_tilt_series

    series = calibrated_tilt_series(monitor, replay_extra)
    tilt_cache.put(monitor, series)
    return series
