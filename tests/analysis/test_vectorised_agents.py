"""The vectorised agents (every week / every member at once) give the per-week / per-name numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rotascope.agents import vector
from rotascope.agents.columns import members_at
from rotascope.agents.members import loo_median, rank_key
from rotascope.analysis.index_member import R2000, membership
from rotascope.analysis.replay import agent_signals, replay_extra
from rotascope.analysis.service import Analyst
from rotascope.backtest.replay import replay, replay_dates
from rotascope.config import Settings
from rotascope.indicators.kernels import masked_median, masked_quantile
from rotascope.measures import R2000_CYC_MINUS_DEF_3M
from rotascope.monitor.run import Monitor
from rotascope.records import rnd
from rotascope.store.db import Store


def test_vectorised_agents_equal_the_per_week_path_on_20_random_weeks(monitor: Monitor) -> None:
    """Exact equality: the same kernels, so the same floats (scores, conviction, tilt)."""
    days = replay_dates(monitor)
    pick = np.sort(np.random.default_rng(20260715).choice(len(days), 20, replace=False))
    rep = replay(monitor, days[pick], replay_extra(monitor))
    assert set(rep.extra_columns) == {
        "agent_fundamentals",
        "agent_internals",
        "agent_macro",
        "agent_sentiment",
        "decision_conviction",
        "decision_tilt",
    }
    for i, d in enumerate(days[pick]):
        per_week = agent_signals(monitor, d.astype(date))
        vectorised = {k: float(rep.signals.iloc[i][k]) for k in per_week}
        assert vectorised == per_week, d
    assert rep.signals["decision_conviction"].abs().max() > 0  # not a vacuous comparison of zeros


def test_rnd_array_is_python_round() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, 2000), [0.1234565, 2.5e-7, -0.0000005, 0.00000149999, -0.0, 1e300]])
    got = vector.rnd_array(np.append(x, np.nan))
    assert [rnd(float(v)) for v in x] == got[:-1].tolist() and np.isnan(got[-1])
    assert vector.rnd_array(np.array([0.125, 0.135, -0.145]), 2).tolist() == [0.12, 0.14, -0.14]


def test_masked_median_and_quantile_are_numpy_on_each_row() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(size=(40, 31))
    values[rng.random(values.shape) < 0.1] = np.nan
    mask = rng.random(values.shape) < 0.6
    med = masked_median(values, mask)
    q, q9 = masked_quantile(values, mask, (0.2, 0.9))
    for i in range(len(values)):
        row = values[i][mask[i] & np.isfinite(values[i])]
        assert med[i] == np.median(row) if len(row) else np.isnan(med[i])
        assert q[i] == np.quantile(row, 0.2) if len(row) else np.isnan(q[i])
        assert q9[i] == np.quantile(row, 0.9) if len(row) else np.isnan(q9[i])


def test_leave_one_out_median_is_the_median_of_the_others() -> None:
    rng = np.random.default_rng(9)
    values = np.round(rng.normal(size=60), 1)  # ties on purpose
    values[[3, 17]] = np.nan
    groups = tuple("ab"[i % 2] for i in range(60))
    stocks = (*groups, None, "a")
    own = np.array([*range(60), -1, -1], dtype=np.int64)
    got = loo_median(values, groups, stocks, own)
    for j in range(60):
        others = np.array([v for i, v in enumerate(values) if groups[i] == groups[j] and i != j])
        assert got[j] == np.median(others[np.isfinite(others)])
    assert np.isnan(got[60])
    assert got[61] == np.median(values[[i for i in range(60) if groups[i] == "a" and np.isfinite(values[i])]])


@pytest.mark.parametrize("day", [date(2025, 11, 28), date(2019, 5, 3)])
def test_every_member_equals_its_single_debate(
    store: Store, loaded_settings: Settings, monitor: Monitor, day: date
) -> None:
    analyst = Analyst(store, loaded_settings, monitor)
    ranked = analyst.members(analyst.session(day))
    assert len(ranked.calls) > 1000 and ranked.as_of <= day
    keys = [rank_key(c) for c in ranked.calls]
    assert keys == sorted(keys)
    rng = np.random.default_rng(11)
    # `debate SYMBOL` judges a name against IWM only when it was on the Russell 2000 at the as-of
    members = [c for c in ranked.calls if membership(monitor.panel, R2000, c.symbol, ranked.as_of).member]
    with_data = [c for c in members if c.company_data]
    with_news = [c for c in members if c.headlines]  # one name has stored headlines in 2019
    assert with_data  # both dates have company fundamentals for hundreds of members
    sample = [members[i] for i in rng.choice(len(members), 6, replace=False)]
    sample += with_data[:2] + with_news[:1]
    for call in sample:
        single = analyst.single(call.symbol, analyst.session(ranked.as_of))
        final = {o.agent: o for o in single.debate.final}
        assert {a: final[a].score for a in final} == call.scores, call.symbol
        assert {a: final[a].confidence for a in final} == call.confidence, call.symbol
        probs = {s.name: s.probability for s in single.decision.scenarios}
        assert (probs["bull"], probs["base"], probs["bear"]) == (call.bull, call.base, call.bear)
        assert single.decision.conviction == call.conviction
        cal = single.decision.calibration  # the same calibrated call, base rates and expected return
        assert cal is not None and cal.base_rates == call.base_rates
        assert cal.expected_relative_return == call.expected_relative_return
        assert single.decision.direction == call.tilt
        conf = sum(o.confidence for o in single.debate.final)  # written out: the members use the kernel
        mean = 0.0 if conf <= 0 else sum(o.confidence * o.score for o in single.debate.final) / conf
        assert rnd(mean, 4) == call.consensus
        company = any(c.id == "fundamentals.quality_rank" for c in final["fundamentals"].claims)
        assert company == call.company_data


def test_log_return_sums_and_trailing_max_do_not_depend_on_the_slice() -> None:
    from rotascope.agents.columns import BLOCK, log_return_sums, trailing_max

    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(3 * BLOCK + 41, 300)), axis=0))
    close[rng.random(close.shape) < 0.002] = np.nan
    r = np.diff(np.log(close), axis=0)
    ends = np.arange(130, len(r))
    every, squares = log_return_sums(close, 0, ends, 126)
    for e in (130, BLOCK + 3, 2 * BLOCK - 1, 3 * BLOCK + 20):
        first = (e - 126) // BLOCK * BLOCK
        one, _ = log_return_sums(close[first : e + 2], first, np.array([e]), 126)
        assert np.array_equal(one[0], every[e - 130], equal_nan=True)  # bit for bit
        window = r[e - 125 : e + 1]
        assert np.allclose(one[0], window.sum(axis=0), equal_nan=True, rtol=1e-9, atol=1e-15)
        assert np.allclose(squares[e - 130], (window**2).sum(axis=0), equal_nan=True, rtol=1e-9)
    highs = trailing_max(close, ends, 126)
    naive = np.array([close[e - 125 : e + 1].max(axis=0) for e in ends])
    assert np.array_equal(highs, naive, equal_nan=True)


def test_a_claim_on_an_unmeasurable_value_is_neutral(monitor: Monitor) -> None:
    """NaN (e.g. a median over no member with a full window) is no data: neutral, never bearish."""
    from rotascope.agents.base import AgentContext, claim, ev

    ctx = AgentContext(monitor.at(date(2024, 7, 19)), monitor.panel)
    made = claim(
        "x", "health", "t", [ev(ctx, "m", float("nan"), ">=", 0.0, source="s", unit="fraction")], 0.5
    )
    assert made.direction == "neutral" and made.strength == 0.0
    assert made.text.startswith("Not measurable")


def test_cyclicals_minus_defensives_is_one_number_for_the_ladder_and_the_agent(monitor: Monitor) -> None:
    """The ladder's rung-4 proxy (snapshot) and the fundamentals agent's column are the same value, weekly."""
    days = replay_dates(monitor)
    pick = days[np.sort(np.random.default_rng(11).choice(len(days), 20, replace=False))]
    rows = np.array([monitor.panel.row(d.astype(date)) for d in pick])
    column = members_at(monitor.panel, rows).cyc_minus_def_3m
    for d, value in zip(pick, column, strict=True):
        snap = R2000_CYC_MINUS_DEF_3M.of(monitor.panel.snapshot(d.astype(date)))
        assert (snap if snap is not None else np.nan) == value or (snap is None and np.isnan(value)), d
    assert np.isfinite(column).sum() >= 15
