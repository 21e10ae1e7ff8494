"""Agents, debate and decision on real dates: agreement with the data, recorded conflicts, determinism."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from rotascope.agents import universe_analysis
from rotascope.agents.base import AgentContext, margin, score_of
from rotascope.agents.debate import run_debate
from rotascope.agents.decision import calibrated_probabilities
from rotascope.agents.fundamentals import quality_spread
from rotascope.agents.sentiment import analyze as sentiment
from rotascope.agents.stock import stock_analysis
from rotascope.agents.vector import conviction
from rotascope.analysis.replay import agent_signals, replay_extra
from rotascope.calibration.service import calibrated_call
from rotascope.errors import DataError
from rotascope.monitor.data import MarketData, align
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor
from rotascope.records import Evidence, Headline
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store

CFG = "test-config"


def test_covid_low_every_price_lens_is_bearish(monitor: Monitor) -> None:
    # 2020-03-23: IWM/SPY -11 % in a month, 2 % of small caps above their 50-day average,
    # HY OAS +6.5 pp in 4 weeks
    # the hand-set evidence score (issue #11: a replay signal and calibrator input, never a probability)
    # reads bearish
    a = universe_analysis(monitor, monitor.at(date(2020, 3, 23)), CFG)
    final = {o.agent: o for o in a.debate.final}
    assert final["internals"].stance == "bearish" and final["fundamentals"].stance == "bearish"
    signals = agent_signals(monitor, date(2020, 3, 23))
    assert signals["decision_conviction"] < -0.15 and signals["decision_tilt"] < 0
    assert set(a.killers_triggered) >= {"credit_widening", "cyclical_downdraft"}
    # without a calibrated call the desk shows IWM vs SPY's base rates and stands aside (issue #23)
    assert a.decision.calibration is not None and a.decision.calibration.method == "base rates"
    assert a.decision.mode == "stand aside" and a.decision.tilt == 0
    probs = [s.probability for s in a.decision.scenarios]
    assert probs == list(calibrated_probabilities(a.decision.calibration))
    # the desk view follows the calibrated probabilities: without measured edge they are the base rates
    call = calibrated_call(monitor, date(2020, 3, 23), replay_extra)
    c = universe_analysis(monitor, monitor.at(date(2020, 3, 23)), CFG, calibration=call).decision
    assert c.calibration is not None
    if c.calibration.no_measured_edge and c.calibration.model_weight == 0:
        assert c.mode == "stand aside" and c.tilt == 0
        assert [s.base_rate for s in c.scenarios] == [
            round(c.calibration.base_rates[k], 6) for k in (2, 1, 0)
        ]


def test_july_2024_rotation_agents_agree_with_the_data(monitor: Monitor) -> None:
    # 2024-07-19: IWM/SPY +7.6 % in a month, 73 % of members above their 50-day average, HY OAS at its
    # 4th percentile of five years, no killer triggered (the hand-set evidence score; issue #11)
    a = universe_analysis(monitor, monitor.at(date(2024, 7, 19)), CFG)
    final = {o.agent: o for o in a.debate.final}
    assert final["internals"].stance == final["macro"].stance == "bullish"
    signals = agent_signals(monitor, date(2024, 7, 19))
    assert signals["decision_conviction"] > 0.15 and signals["decision_tilt"] > 0
    # the desk view does not follow it: IWM vs SPY's base rates, no tilt (issue #23)
    assert a.decision.direction == "none" and a.decision.tilt == 0
    rs = next(c for c in a.opinions[2].claims if c.id == "internals.rs_trend")
    assert rs.direction == "bullish" and rs.evidence[0].value == pytest.approx(0.075695)


def test_conflicting_evidence_is_challenged_and_answered(monitor: Monitor) -> None:
    # 2016-11-18: small caps surged while the 10-year yield jumped 0.5 pp in 13 weeks: internals (bullish)
    # challenges macro's bearish rates claim; the transcript records the challenge, the answer and the rule
    a = universe_analysis(monitor, monitor.at(date(2016, 11, 18)), CFG)
    macro = next(o for o in a.opinions if o.agent == "macro")
    rates = next(c for c in macro.claims if c.id == "macro.rates_trend")
    assert (
        rates.direction == "bearish" and rates.evidence[0].value is not None and rates.evidence[0].value > 0.3
    )
    r1 = a.debate.rounds[0]
    challenge = next(c for c in r1.challenges if c.by == "internals" and c.claim_id == "macro.rates_trend")
    answer = next(x for x in r1.answers if x.claim_id == "macro.rates_trend" and x.challenger == "internals")
    assert answer.outcome in ("conceded", "rebutted")
    assert challenge.counter_evidence and challenge.counter_evidence[0].as_of == date(2016, 11, 18)
    rule = "C1 concede" if answer.outcome == "conceded" else "C2 rebutted"
    assert any(ch.agent == "macro" and ch.rule == rule for ch in r1.confidence_changes)


def test_debate_rules_on_a_hand_made_case(monitor: Monitor) -> None:
    ctx = AgentContext(monitor.at(date(2016, 11, 18)), monitor.panel)
    from rotascope.agents import internals, macro

    ops = [macro.analyze(ctx), internals.analyze(ctx)]
    debate = run_debate(ops, load_thresholds().agents.debate)
    for rd in debate.rounds:
        changes = iter(rd.confidence_changes)  # in order: C2 gives two changes (challenger, defender), C1 one
        for ans in rd.answers:
            if ans.outcome == "conceded":
                change = next(changes)
                assert (change.agent, change.rule) == (ans.by, "C1 concede")
                assert change.after == pytest.approx(
                    change.before * load_thresholds().agents.debate.concede_factor, abs=1e-4
                )
            else:
                loser, winner = next(changes), next(changes)
                assert (loser.agent, loser.rule, winner.agent) == (ans.challenger, "C2 overreach", ans.by)
                assert loser.after == pytest.approx(max(0, loser.before - 0.05), abs=1e-4)
    # conceded claims count half: the final score equals the score with those weights halved
    conceded = {x.claim_id for rd in debate.rounds for x in rd.answers if x.outcome == "conceded"}
    for before, after in zip(debate.initial, debate.final, strict=True):
        weights = {
            c.id: c.weight
            / 2
            ** sum(
                1
                for rd in debate.rounds
                for x in rd.answers
                if x.claim_id == c.id and x.outcome == "conceded"
            )
            for c in before.claims
        }
        assert after.score == pytest.approx(score_of(before.claims, weights), abs=1e-4)
        assert any(c.id in conceded for c in before.claims) or after.score == pytest.approx(
            before.score, abs=1e-4
        )


def test_probabilities_are_valid_on_every_quarter(monitor: Monitor) -> None:
    cal = monitor.panel.calendar
    iwm = monitor.panel.data.etf.column("IWM")
    for i in range(300, len(cal), 63):
        try:
            a = universe_analysis(monitor, monitor.at(cal[i].astype(date)), CFG)
        except DataError as e:  # no IWM vs SPY band yet: no outcome, so no probabilities to show
            assert np.isfinite(iwm[: i + 1]).sum() < 70, e
            assert "no base rates: IWM vs SPY has fewer than 63 days" in str(e)
            continue
        probs = [s.probability for s in a.decision.scenarios]
        assert [s.name for s in a.decision.scenarios] == ["bull", "base", "bear"]
        assert all(0 <= p <= 1 for p in probs) and abs(sum(probs) - 1) < 1e-9
        assert a.decision.conviction == pytest.approx(probs[0] - probs[2], abs=1e-9)
        assert abs(a.decision.tilt) <= 0.10


def test_evidence_score_arithmetic() -> None:
    # reached 5, one killer: s = 0.5 x (5 - 2.5) / 2.5 - 0.25 = 0.25 → bull 0.30 + 0.35 x 0.25 = 0.3875,
    # bear 0.30 - 0.15 x 0.25 = 0.2625: conviction 0.39 - 0.26
    none = np.zeros((1, 0))
    assert conviction(none, none, np.array([5.0]), np.array([1.0]))[0] == pytest.approx(0.13)
    # s = -1 (clipped): 0.15 - 0.65
    assert conviction(none, none, np.array([0.0]), np.array([2.0]))[0] == pytest.approx(-0.5)


def test_analysis_json_is_deterministic_and_id_is_content_derived(monitor: Monitor) -> None:
    a = universe_analysis(monitor, monitor.at(date(2019, 8, 30)), CFG).to_json()
    b = universe_analysis(monitor, monitor.at(date(2019, 8, 30)), CFG).to_json()
    assert a == b
    other = universe_analysis(monitor, monitor.at(date(2019, 8, 30)), "another-config")
    assert json.loads(a)["id"] != other.id


def test_no_look_ahead_in_the_agents(monitor: Monitor, market: MarketData) -> None:
    for day in ("2011-08-12", "2022-06-17"):
        cut = np.datetime64(day, "D")
        short = Monitor(compute(market.upto(cut), monitor.thresholds), monitor.thresholds)
        full = universe_analysis(monitor, monitor.at(date.fromisoformat(day)), CFG)
        assert universe_analysis(short, short.at(date.fromisoformat(day)), CFG).to_json() == full.to_json()


def test_sentiment_without_news_says_so_and_with_news_scores_only_known_headlines(monitor: Monitor) -> None:
    ctx = AgentContext(monitor.at(date(2024, 7, 19)), monitor.panel)
    empty = sentiment(ctx)
    assert (
        empty.stance == "neutral"
        and empty.confidence == 0
        and not empty.claims
        and "no sentiment" in empty.data_note
    )
    news = [
        Headline(
            text="Small caps rally strongly as profits improve and gains broaden",
            known_at=date(2024, 7, 18),
            source="t",
        ),
        Headline(
            text="Russell 2000 slumps on losses and fears of default", known_at=date(2024, 7, 22), source="t"
        ),
    ]  # future
    scored = sentiment(ctx, news)
    assert scored.claims[0].evidence[0].value is not None and scored.claims[0].evidence[0].value > 0
    assert "1 headlines" in scored.claims[0].text


def test_quality_spread_by_hand() -> None:
    # 10 members, 190 rows: the first 127 rows set volatility (members 0-1 calm, 8-9 wild),
    # the last 63 the return
    rng = np.random.default_rng(0)
    vols = np.linspace(0.001, 0.05, 10)
    steps = rng.standard_normal((127, 10)) * vols
    head = 100 * np.exp(np.cumsum(steps, axis=0))
    rets = np.array([0.10, 0.10, 0, 0, 0, 0, 0, 0, -0.20, -0.20])
    tail = head[-1] * np.linspace(1, 1, 63)[:, None] * (1 + np.outer(np.linspace(1 / 63, 1, 63), rets))
    window = np.vstack([head, tail])
    window = np.tile(window, (1, 6))  # 60 members so the quintiles are populated
    spread, junk, n = quality_spread(window)
    assert n == 60 and junk == pytest.approx(-0.20) and spread == pytest.approx(0.30)


def test_margin_units() -> None:
    e = Evidence(
        name="x",
        value=-0.3,
        threshold=0.25,
        comparison="<=",
        passed=True,
        as_of=date(2020, 1, 1),
        source="t",
        unit="pp",
    )
    assert margin(e) == pytest.approx((0.25 + 0.3) / 0.25)


def test_stock_debate_by_hand(monitor: Monitor, store: Store) -> None:
    symbol = "KRT"  # Karat Packaging, an R2000 member
    close = align(store.close_panel([symbol]), monitor.panel.calendar).column(symbol)
    a = stock_analysis(monitor, symbol, close, "Industrials", monitor.at(date(2024, 7, 19)), CFG)
    t = monitor.panel.row(date(2024, 7, 19))
    c = close[: t + 1]
    # ATR from closes: Wilder average of |Δclose| over 14 days; stop = close − 2 × ATR
    diffs = np.abs(np.diff(c))
    valid = diffs[np.isfinite(diffs)]
    atr = valid[:14].mean()
    for d in valid[14:]:
        atr = atr + (d - atr) / 14
    risk = a.decision.risk
    assert risk is not None and risk.atr_method == "close_to_close_14"
    assert risk.atr == pytest.approx(atr, rel=1e-6)
    assert risk.stop == pytest.approx(c[-1] - 2 * atr, rel=1e-6)
    assert risk.stop_distance == pytest.approx(-2 * atr / c[-1], abs=1e-6)
    vol = np.std(np.diff(np.log(c[-64:])), ddof=1) * np.sqrt(252)
    assert risk.vol_weight == pytest.approx(min(1.0, 0.15 / vol), abs=1e-4)
    assert a.kind == "stock" and a.subject == symbol
    assert abs(sum(s.probability for s in a.decision.scenarios) - 1) < 1e-9


def test_challenges_only_come_from_related_topics(monitor: Monitor) -> None:
    from rotascope.agents.debate import RELATED

    a = universe_analysis(monitor, monitor.at(date(2023, 3, 17)), CFG)
    claims = {c.id: c for o in a.opinions for c in o.claims}
    assert all(c.topic for c in claims.values())
    challenges = [c for rd in a.debate.rounds for c in rd.challenges]
    assert challenges
    for ch in challenges:
        assert claims[ch.counter_claim_id].topic in RELATED[claims[ch.claim_id].topic]
    # the SVB week: macro's credit evidence disputes the fundamentals agent's quality claim
    assert any(ch.by == "macro" and claims[ch.counter_claim_id].topic == "credit" for ch in challenges)
