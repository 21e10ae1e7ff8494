"""Run the agents on one as-of date: opinions → debate → decision → a stored, diffable Analysis."""

from __future__ import annotations

from collections.abc import Callable

from rotascope.agents import decision as dec
from rotascope.agents import fundamentals, internals, macro, sentiment
from rotascope.agents.base import AgentContext
from rotascope.agents.debate import run_debate
from rotascope.agents.risk_view import universe_risk
from rotascope.calibration.outcomes import UNIVERSE_PAIR
from rotascope.calibration.single import base_rate_call
from rotascope.fundamentals.store import Fundamentals
from rotascope.monitor.run import Monitor, MonitorResult
from rotascope.records import (
    UNIVERSE_SUBJECT,
    Analysis,
    AnalysisKind,
    Calibration,
    Decision,
    Headline,
    Opinion,
    RiskView,
    analysis_id,
)
from rotascope.regime.thresholds import DebateRules

AGENTS: dict[str, Callable[[AgentContext], Opinion]] = {
    fundamentals.NAME: fundamentals.analyze,
    macro.NAME: macro.analyze,
    internals.NAME: internals.analyze,
}
SUBJECT = UNIVERSE_SUBJECT


def opinions_for(ctx: AgentContext, headlines: list[Headline] | None = None) -> list[Opinion]:
    ops = [fn(ctx) for fn in AGENTS.values()]
    ops.append(sentiment.analyze(ctx, headlines))
    return ops


def universe_analysis(
    monitor: Monitor,
    result: MonitorResult,
    config_hash: str,
    headlines: list[Headline] | None = None,
    full_risk: bool = True,
    fundamentals: Fundamentals | None = None,
    calibration: Calibration | None = None,
) -> Analysis:
    """The universe-level analysis: is small-cap leadership real, and what to do about it, on the session
    ``result`` was resolved to (``monitor.at(as_of)``; at a request's door, ``monitor.on(session.as_of)``).

    ``full_risk=False`` skips invalidation, plan and stress tests (used by the weekly replay, which only
    needs the stances). ``calibration`` (from the analysis service's walk-forward calibrator) sets the
    probabilities; without it (before the calibrator's first week, or a caller without the calibrator)
    they are IWM vs SPY's base rates with the sentence why (``calibration.single.base_rate_call``), never
    the agents' evidence score.
    """
    ctx = AgentContext(result, monitor.panel, fundamentals, monitor.thresholds)
    iwm = result.snapshot.pair("IWM/SPY")
    if calibration is None:
        etf = monitor.panel.data.etf
        calibration = base_rate_call(
            monitor.panel.calendar,
            etf.column(UNIVERSE_PAIR[0]),
            etf.column(UNIVERSE_PAIR[1]),
            result.as_of,
            *UNIVERSE_PAIR,
            monitor.thresholds.calibration,
            f"No calibrated call for {UNIVERSE_PAIR[0]} vs {UNIVERSE_PAIR[1]} at this as-of",
        )
    return assemble(
        "universe",
        SUBJECT,
        "small caps",
        result,
        opinions_for(ctx, headlines),
        config_hash,
        lambda conviction: universe_risk(ctx, conviction, full_risk),
        calibration,
        iwm.persistence_13w,
        debate_rules=monitor.thresholds.agents.debate,
    )


RiskFor = Callable[[float], tuple[RiskView | None, float | None, list[str]]]
"""signed tilt strength -> (risk records, vol-targeted weight or None, invalidation rules as text)."""


def assemble(
    kind: AnalysisKind,
    subject: str,
    short: str,
    result: MonitorResult,
    initial: list[Opinion],
    config_hash: str,
    risk_for: RiskFor,
    calibration: Calibration,
    persistence_13w: float | None = None,
    rival: str = dec.MEGA_CAPS,
    *,
    debate_rules: DebateRules,
) -> Analysis:
    """Debate the opinions, let the decision agent weigh them with the ladder and killers, and package
    everything as an Analysis (shared by the universe and the single-stock analyses); ``calibration``
    (a calibrated call, or the subject's base rates) sets the probabilities and the stance: the agents'
    evidence score never becomes a probability; ``rival`` is what the bear case has take the lead
    instead of the subject."""
    debate = run_debate(initial, debate_rules)
    regime = result.regime
    reached = regime.ladder.reached
    fired = [k.key for k in regime.killers if k.triggered]
    probs = dec.calibrated_probabilities(calibration)  # the rule is in agents/decision.py
    conviction = round(probs[0] - probs[2], 2)
    call = dec.calibrated_stance(calibration, reached, persistence_13w, short)
    risk, vol_weight, invalidation = risk_for(call.strength)
    lens = [c for o in initial for c in o.claims]
    items = dec.scenarios(short, regime.ladder, regime.killers, probs, invalidation, lens, rival)
    items = dec.with_outcomes(items, calibration)
    rationale = dec.rationale(debate.final, reached, fired, result.as_of)
    rationale.append(calibration.note)
    decision = Decision(
        as_of=result.as_of,
        subject=subject,
        direction=call.direction,
        stance=call.stance,
        mode=call.mode,
        conviction=conviction,
        tilt=dec.calibrated_tilt(call.strength, vol_weight),
        scenarios=items,
        rationale=rationale,
        risk=risk,
        calibration=calibration,
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
