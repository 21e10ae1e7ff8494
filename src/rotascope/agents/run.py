"""Run the agents on one as-of date: opinions → debate → decision → a stored, diffable Analysis."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from rotascope.agents import decision as dec
from rotascope.agents import fundamentals, internals, macro, sentiment
from rotascope.agents.base import AgentContext
from rotascope.agents.debate import run_debate
from rotascope.agents.risk_view import universe_risk
from rotascope.agents.sentiment import Headline
from rotascope.fundamentals.store import Fundamentals
from rotascope.monitor.run import Monitor, MonitorResult
from rotascope.records import Analysis, Decision, Opinion

AGENTS: dict[str, Callable[[AgentContext], Opinion]] = {
    fundamentals.NAME: fundamentals.analyze,
    macro.NAME: macro.analyze,
    internals.NAME: internals.analyze,
}
SUBJECT = "small caps (IWM vs SPY)"


def analysis_id(kind: str, subject: str, as_of: date, config_hash: str, fingerprint: str) -> str:
    """Content-derived id: the same question on the same data and config has the same id."""
    key = "|".join([kind, subject, as_of.isoformat(), config_hash, fingerprint])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def opinions_for(ctx: AgentContext, headlines: list[Headline] | None = None) -> list[Opinion]:
    ops = [fn(ctx) for fn in AGENTS.values()]
    ops.append(sentiment.analyze(ctx, headlines))
    return ops


def universe_analysis(
    monitor: Monitor,
    as_of: date | None,
    config_hash: str,
    headlines: list[Headline] | None = None,
    full_risk: bool = True,
    fundamentals: Fundamentals | None = None,
) -> Analysis:
    """The universe-level analysis: is small-cap leadership real, and what to do about it.

    ``full_risk=False`` skips invalidation, plan and stress tests (used by the weekly replay, which only
    needs the stances and the sized tilt).
    """
    result = monitor.at(as_of)
    ctx = AgentContext(result, monitor.panel, fundamentals)
    iwm = result.snapshot.pair("IWM/SPY")
    return assemble(
        "universe",
        SUBJECT,
        "small caps",
        result,
        opinions_for(ctx, headlines),
        config_hash,
        lambda conviction: universe_risk(ctx, conviction, full_risk),
        iwm.persistence_13w,
    )


RiskFor = Callable[[float], tuple[dict[str, object], float | None, list[str]]]
"""conviction -> (risk records, vol-targeted weight or None, invalidation rules as text)."""


def assemble(
    kind: str,
    subject: str,
    short: str,
    result: MonitorResult,
    initial: list[Opinion],
    config_hash: str,
    risk_for: RiskFor,
    persistence_13w: float | None = None,
) -> Analysis:
    """Debate the opinions, let the decision agent weigh them with the ladder and killers, and package
    everything as an Analysis (shared by the universe and the single-stock analyses)."""
    debate = run_debate(initial)
    regime = result.regime
    reached = regime.ladder.reached
    fired = [k.key for k in regime.killers if k.triggered]
    probs = dec.scenario_probabilities(debate.final, reached, len(fired))
    conviction = round(probs[0] - probs[2], 2)
    stance, mode = dec.stance_and_mode(conviction, reached, persistence_13w, short)
    risk, vol_weight, invalidation = risk_for(conviction)
    decision = Decision(
        as_of=result.as_of,
        subject=subject,
        stance=stance,
        mode=mode,
        conviction=conviction,
        tilt=dec.tilt_size(conviction, vol_weight),
        scenarios=dec.scenarios(short, regime.ladder, regime.killers, probs, invalidation),
        rationale=dec.rationale(debate.final, reached, fired, result.as_of),
        risk=risk,
    )
    snap = result.snapshot
    return Analysis(
        id=analysis_id(kind, subject, result.as_of, config_hash, snap.data_fingerprint),
        kind=kind,
        subject=subject,
        as_of=result.as_of,
        config_hash=config_hash,
        data_fingerprint=snap.data_fingerprint,
        opinions=initial,
        debate=debate,
        decision=decision,
        ladder_reached=reached,
        killers_triggered=fired,
        caveats=snap.caveats,
    )


def agent_signals(monitor: Monitor, as_of: date) -> dict[str, float]:
    """The agents' final scores and the decision's conviction and tilt as replay signals (floats)."""
    a = universe_analysis(monitor, as_of, "replay", full_risk=False)
    out = {f"agent_{o.agent}": o.score for o in a.debate.final}
    out["decision_conviction"] = a.decision.conviction
    out["decision_tilt"] = a.decision.tilt
    return out


def replay_extra(monitor: Monitor) -> Callable[[MonitorResult], dict[str, float]]:
    """Per-week agent signals for the backtest replay, computed for all remaining weeks in parallel
    (forked workers, see rotascope.executor) on the first call and served from memory after."""
    from rotascope.backtest.replay import replay_dates
    from rotascope.executor import parallel_map

    cache: dict[date, dict[str, float]] = {}

    def extra(result: MonitorResult) -> dict[str, float]:
        if result.as_of not in cache:
            days = [d.astype(date) for d in replay_dates(monitor, start=result.as_of)]
            cache.update(zip(days, parallel_map(lambda d: agent_signals(monitor, d), days), strict=True))
        return cache[result.as_of] if result.as_of in cache else agent_signals(monitor, result.as_of)

    return extra
