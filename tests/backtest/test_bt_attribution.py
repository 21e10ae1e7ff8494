"""Signal attribution on a tiny hand-checked example, and the moving-block bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotascope.backtest.attribution import (
    attribute,
    conditional_mean_ci,
    signal_stat,
    spearman,
)


def _toy() -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = pd.DatetimeIndex(pd.date_range("2024-01-05", periods=6, freq="W-FRI"), name="as_of")
    signals = pd.DataFrame(
        {"flag": [1, 0, 1, 1, 0, np.nan], "score": [2.0, -1.0, 0.5, 3.0, 0.0, 1.0]}, index=idx
    )
    labels = pd.DataFrame({"fwd_1w": [0.02, -0.01, -0.03, 0.04, 0.01, 0.5]}, index=idx)
    return signals, labels


def test_hand_example() -> None:
    """Weeks with both known: the first five (the flag is unknown in week 6).
    fired weeks 1, 3, 4 -> mean (0.02 - 0.03 + 0.04) / 3 = 0.01; base (0.02-0.01-0.03+0.04+0.01)/5 = 0.006;
    hit rate 2/3 (0.02, 0.04 > 0); base hit rate 3/5.
    IC: flag ranks (ties averaged) [4, 1.5, 4, 4, 1.5], label ranks [4, 2, 1, 5, 3]; deviations from 3:
    [1, -1.5, 1, 1, -1.5] and [1, -1, -2, 2, 0]; sum of products 2.5, sums of squares 7.5 and 10 ->
    IC = 2.5 / sqrt(75) = 0.288675."""
    signals, labels = _toy()
    s = signal_stat("flag", signals["flag"], labels["fwd_1w"], 1)
    assert (s.weeks, s.fired) == (5, 3)
    assert s.mean_fired == pytest.approx(0.01)
    assert s.base_mean == pytest.approx(0.006)
    assert s.edge == pytest.approx(0.004)
    assert s.hit_rate == pytest.approx(2 / 3, abs=1e-6)
    assert s.base_hit_rate == pytest.approx(0.6)
    assert s.ic == pytest.approx(0.288675, abs=1e-6)
    scipy_stats = pytest.importorskip("scipy.stats")
    ref = scipy_stats.spearmanr([1, 0, 1, 1, 0], [0.02, -0.01, -0.03, 0.04, 0.01]).statistic
    assert s.ic == pytest.approx(ref, abs=1e-6)


def test_scores_fire_when_positive_and_use_all_weeks() -> None:
    """score > 0 in weeks 1, 3, 4, 6 -> mean (0.02 - 0.03 + 0.04 + 0.5) / 4 = 0.1325."""
    signals, labels = _toy()
    s = signal_stat("score", signals["score"], labels["fwd_1w"], 1, kind="score")
    assert (s.weeks, s.fired) == (6, 4)
    assert s.mean_fired == pytest.approx(0.1325)
    assert s.ic == pytest.approx(spearman(signals["score"].to_numpy(), labels["fwd_1w"].to_numpy()), abs=1e-6)


def test_constant_signal_has_no_ic_and_never_fired_has_no_ci() -> None:
    signals, labels = _toy()
    zero = signal_stat("zero", signals["flag"] * 0, labels["fwd_1w"], 1)
    assert zero.fired == 0 and zero.ic is None and zero.ci_low is None and zero.mean_fired is None
    assert zero.base_mean == pytest.approx(0.006)


def test_ci_is_deterministic_and_covers_the_mean() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(0.01, 0.02, 400)
    fired = rng.random(400) > 0.5
    a = conditional_mean_ci(fired, y, block=4)
    b = conditional_mean_ci(fired, y, block=4)
    assert a == b
    assert a[0] < y[fired].mean() < a[1]
    # longer blocks keep more autocorrelation: on an autocorrelated series the interval widens
    walk = np.convolve(rng.normal(0, 0.02, 412), np.ones(13), "valid")
    narrow = conditional_mean_ci(fired, walk, block=1)
    wide = conditional_mean_ci(fired, walk, block=13)
    assert wide[1] - wide[0] > 1.5 * (narrow[1] - narrow[0])


def test_attribute_all_signals_and_rank() -> None:
    signals, labels = _toy()
    labels["fwd_4w"] = labels["fwd_1w"] * 2
    attr = attribute(signals, labels, (1, 4), {"score": "score"})
    assert [(s.signal, s.horizon_weeks) for s in attr.stats] == [
        ("flag", 1),
        ("flag", 4),
        ("score", 1),
        ("score", 4),
    ]
    assert set(attr.ranked()) == {"flag", "score"}
    assert any("Survivorship" in c for c in attr.caveats)
    assert attr.to_json() == attribute(signals, labels, (1, 4), {"score": "score"}).to_json()
