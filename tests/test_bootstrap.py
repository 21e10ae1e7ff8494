"""The one moving-block bootstrap (rotascope.bootstrap) draws arch's MovingBlockBootstrap rows, draw for
draw, so the backtest's and the screen backtest's intervals are arch's resampling."""

from __future__ import annotations

import numpy as np
import pytest
from arch.bootstrap import MovingBlockBootstrap

from rotascope.bootstrap import block_indices, mean_interval


def test_block_indices_are_consecutive_runs() -> None:
    idx = block_indices(20, 4, 50, np.random.default_rng(0))
    assert idx.shape == (50, 20) and idx.min() >= 0 and idx.max() < 20
    assert (np.diff(idx.reshape(50, 5, 4), axis=2) == 1).all()


@pytest.mark.parametrize(("n", "block"), [(400, 13), (401, 4), (77, 1), (10, 20), (9, 9)])
def test_the_rows_are_arch_moving_block_draws(n: int, block: int) -> None:
    draws = 300
    ours = block_indices(n, block, draws, np.random.default_rng([7, block, n]))
    arch = MovingBlockBootstrap(min(block, n), np.arange(n), seed=np.random.default_rng([7, block, n]))
    theirs = np.stack([arch.update_indices() for _ in range(draws)])
    np.testing.assert_array_equal(ours, theirs)


def test_the_mean_interval_is_arch_quantiles_of_the_resampled_means() -> None:
    x = np.random.default_rng(3).normal(0.01, 0.02, 120)
    lo, hi = mean_interval(x, 5, 500, np.random.default_rng(11), 0.9)
    arch = MovingBlockBootstrap(5, x, seed=np.random.default_rng(11))
    means = np.array([data[0][0].mean() for data in arch.bootstrap(500)])
    assert (lo, hi) == tuple(np.quantile(means, [0.05, 0.95]))
    assert lo < x.mean() < hi
