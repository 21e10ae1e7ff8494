"""Drawdown limit, pair equity, drawdown breach and the RiskPlan's exit rules, worked by hand."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from rotascope.records import Killer
from rotascope.risk.invalidation import invalidations
from rotascope.risk.models import Invalidation
from rotascope.risk.rules import (
    drawdown_breached,
    drawdown_limit,
    exit_rules,
    max_drawdown,
    pair_equity,
    risk_plan,
)


def test_drawdown_limit_by_hand() -> None:
    # 2 x 12 % x sqrt(13/52) = 2 x 0.12 x 0.5 = 12 % (< 15 % cap)
    limit, rule = drawdown_limit(0.12, 13)
    assert limit == pytest.approx(0.12) and "63-day pair vol" in rule
    # 2 x 8 % x sqrt(26/52) = 0.16 x 0.7071 = 11.31 %
    assert drawdown_limit(0.08, 26)[0] == pytest.approx(0.16 * math.sqrt(0.5))
    # 2 x 40 % x 0.5 = 40 % -> the 15 % cap binds
    limit, rule = drawdown_limit(0.40, 13)
    assert limit == 0.15 and "binding" in rule
    # no vol estimate -> the cap alone
    assert drawdown_limit(None, 13)[0] == 0.15 and drawdown_limit(float("nan"), 13)[0] == 0.15
    assert drawdown_limit(0.12, 13, k=1.0, cap=0.2)[0] == pytest.approx(0.06)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon_weeks": 0}, "horizon"),
        ({"k": 0.0}, "k must"),
        ({"cap": 1.0}, "cap"),
        ({"cap": -0.1}, "cap"),
    ],
)
def test_drawdown_limit_errors(kwargs: dict[str, float], match: str) -> None:
    args: dict[str, float] = {"horizon_weeks": 13, **kwargs}
    with pytest.raises(ValueError, match=match):
        drawdown_limit(0.1, int(args.pop("horizon_weeks")), **args)


def test_pair_equity_by_hand() -> None:
    iwm = np.array([50.0, 100.0, 110.0, 90.0, 1e9])
    spy = np.array([100.0, 200.0, 210.0, 190.0, 1e9])
    # entry at row 1: 1 + 110/100 - 210/200 = 1 + 0.10 - 0.05 = 1.05; 1 + 0.90 - 0.95 = 0.95
    np.testing.assert_allclose(pair_equity(iwm, spy, 1, 3), [1.0, 1.05, 0.95])
    with pytest.raises(ValueError, match="entry"):
        pair_equity(iwm, spy, 3, 2)


def test_drawdown_breached_by_hand() -> None:
    eq = np.array([1.0, 1.05, 0.95, 1.0])
    # peak 1.05, trough 0.95 -> 1 - 0.95/1.05 = 0.095238; it bounced to 1.0 since, still counts
    assert max_drawdown(eq) == pytest.approx(0.0952381, abs=1e-7)
    assert drawdown_breached(eq, 0.09) is True
    assert drawdown_breached(eq, 0.10) is False
    assert drawdown_breached(np.array([1.0, 1.01, 1.02]), 0.01) is False  # only up
    # NaN rows ignored: peak 1.2, trough 1.08 -> 10 % exactly reaches a 10 % limit
    assert drawdown_breached(np.array([1.0, np.nan, 1.2, 1.08]), 0.10) is True
    assert max_drawdown(np.array([1.0, 0.5, -0.1])) == 1.0  # equity wiped out
    assert max_drawdown(np.array([np.nan])) == 0.0
    with pytest.raises(ValueError, match="limit"):
        drawdown_breached(eq, 0.0)


def levels() -> list[Invalidation]:
    return invalidations(
        4,
        ust_10y=np.array([4.0, 4.1, 4.05, 4.2, 4.3]),
        pct_above_50=np.array([0.5, 0.5, 0.5, 0.5, 0.45]),
    )


def test_exit_rules_text() -> None:
    killer = Killer(
        key="credit_widening",
        name="Credit widening",
        triggered=False,
        trigger="HY OAS up >= 0.50 pp",
        evidence=[],
    )
    rules = exit_rules(levels(), [killer], drawdown_limit=0.12, horizon_weeks=13)
    assert len(rules) == 5
    # 10-year: 63-day window not full on row 4 -> level not computable yet, rule kept with n/a
    assert rules[0].startswith("Exit if 10-year yield breakout (ust_10y) closes above n/a (now 4.30 %)")
    assert rules[1].startswith(
        "Exit if Small-cap participation (r2000_pct_above_50) closes below 40% (now 45%)"
    )
    assert "rotation killer 'Credit widening' fires: HY OAS up >= 0.50 pp (now not triggered)" in rules[2]
    assert rules[3] == "Exit if the pair's drawdown since entry reaches 12.0% of its notional."
    assert "after 13 weeks" in rules[4]


def test_risk_plan_record() -> None:
    plan = risk_plan(date(2024, 6, 28), pair_vol_63d=0.12, invalidations=levels())
    assert plan.horizon_weeks == 13 and plan.review_every == "weekly"
    assert plan.drawdown_limit == pytest.approx(0.12)  # 2 x 0.12 x sqrt(13/52)
    assert plan.pair_vol_63d == 0.12
    assert len(plan.exit_rules) == 4 and plan.exit_rules[2].endswith("12.0% of its notional.")
    assert plan.to_json() == risk_plan(date(2024, 6, 28), pair_vol_63d=0.12, invalidations=levels()).to_json()
    capped = risk_plan(date(2024, 6, 28), pair_vol_63d=None, invalidations=[], horizon_weeks=26)
    assert capped.drawdown_limit == 0.15 and "no 63-day pair vol" in capped.drawdown_rule
