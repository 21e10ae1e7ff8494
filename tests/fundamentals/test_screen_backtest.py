"""The screen backtest: quintile means recomputed by hand for one date; intervals and verdicts agree."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rotascope.fundamentals.backtest import backtest_screen, block_bootstrap_ci, verdict
from rotascope.fundamentals.screen import member_panel, screen_at
from rotascope.store.db import Store


def test_one_date_matches_the_screen_and_the_closes(store: Store) -> None:
    bt = backtest_screen(store, date(2015, 6, 22), date(2015, 6, 28), horizons=(4,), step_weeks=1)
    assert bt.dates == 1 and bt.start == date(2015, 6, 26)
    res = next(r for r in bt.results if r.era == "annual ratios")
    assert res.ci_low is None and res.verdict.startswith("Too few dates")
    screen = screen_at(store, date(2015, 6, 26))
    panel, _, _ = member_panel(store)
    t = panel.row_of(np.datetime64("2015-06-26"))
    col = {s: i for i, s in enumerate(panel.symbols)}
    scores = np.array([r.score for r in screen.rows], dtype=float)
    fwd = np.array(
        [panel.values[t + 20, col[r.symbol]] / panel.values[t, col[r.symbol]] - 1 for r in screen.rows]
    )
    ok = np.isfinite(fwd)
    lo, hi = np.quantile(scores[ok], [0.2, 0.8])
    assert res.top_mean == pytest.approx(fwd[ok & (scores >= hi)].mean(), abs=1e-6)
    assert res.bottom_mean == pytest.approx(fwd[ok & (scores <= lo)].mean(), abs=1e-6)


def test_intervals_and_verdicts_follow_the_numbers(store: Store) -> None:
    bt = backtest_screen(store, date(2015, 1, 1), date(2015, 12, 31), horizons=(1, 4))
    assert bt.dates >= 12 and all(r.era in ("all", "annual ratios") for r in bt.results)
    for r in bt.results:
        assert r.ci_low is not None and r.ci_high is not None and r.spread_mean is not None
        assert r.ci_low <= r.spread_mean <= r.ci_high
        word = "Top beat" if r.ci_low > 0 else "Top lagged" if r.ci_high < 0 else "No reliable"
        assert r.verdict.startswith(word)
    assert bt == backtest_screen(store, date(2015, 1, 1), date(2015, 12, 31), horizons=(1, 4))


def test_block_bootstrap_is_deterministic_and_covers_the_mean() -> None:
    x = np.random.default_rng(0).normal(0.01, 0.02, 200)
    a, b = block_bootstrap_ci(x, 3), block_bootstrap_ci(x, 3)
    assert a == b and a[0] < x.mean() < a[1]
    assert verdict(4, 10, 0.01, 0.002, 0.02).startswith("Top beat")
