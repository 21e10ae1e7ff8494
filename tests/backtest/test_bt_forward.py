"""Forward relative returns (the LABEL), checked by hand on real closes."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import rotascope.backtest as bt
from rotascope.backtest.calendar import weekly_asof
from rotascope.backtest.forward import forward_relative_return_label
from rotascope.monitor.run import Monitor


def _label(monitor: Monitor, horizons: tuple[int, ...] = (1, 4)) -> object:
    cal = monitor.panel.calendar
    etf = monitor.panel.data.etf
    return forward_relative_return_label(
        cal, etf.column("IWM"), etf.column("SPY"), weekly_asof(cal), horizons
    )


def test_hand_checked_good_friday_2024(monitor: Monitor) -> None:
    """As-of Thursday 2024-03-28 (Good Friday closed). Stored adjusted closes:
    IWM 2024-03-28 205.2114, 2024-04-05 199.5030, 2024-04-26 193.5603;
    SPY 2024-03-28 509.3304, 2024-04-05 504.8121, 2024-04-26 494.9094.
    1 week (next as-of 04-05): IWM 199.5030/205.2114-1 = -2.7817 %, SPY 504.8121/509.3304-1 = -0.8871 %,
    relative -1.8946 %. 4 weeks (as-of 04-05, 04-12, 04-19, 04-26): IWM -5.6776 %, SPY -2.8314 %,
    relative -2.8462 %.
    """
    frame = _label(monitor)
    row = frame.loc["2024-03-28"]  # type: ignore[attr-defined]
    assert row["fwd_1w"] == pytest.approx(-0.0189461, abs=2e-6)
    assert row["fwd_4w"] == pytest.approx(-0.0284624, abs=2e-6)


def test_nan_beyond_the_data_and_before_iwm(monitor: Monitor) -> None:
    frame = _label(monitor, (1, 4, 13))
    assert frame["fwd_1w"].iloc[-1:].isna().all()  # type: ignore[index]
    assert frame["fwd_13w"].iloc[-13:].isna().all()  # type: ignore[index]
    assert frame["fwd_13w"].iloc[-14:-13].notna().all()  # type: ignore[index]
    assert frame.loc[:"2000-05-19"].isna().all().all()  # type: ignore[attr-defined,misc]  # IWM listed 2000-05-26
    assert np.isfinite(frame.loc["2000-05-26", "fwd_1w"])  # type: ignore[attr-defined]


def test_horizon_must_be_positive(monitor: Monitor) -> None:
    with pytest.raises(ValueError, match="horizons"):
        _label(monitor, (0,))


def test_label_is_never_imported_by_signal_modules() -> None:
    """The forward LABEL looks into the future: no module that forms signals or positions may import it."""
    pkg = Path(bt.__file__).parent
    for name in ("calendar.py", "replay.py", "strategies.py"):
        tree = ast.parse((pkg / name).read_text())
        imported = {
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "rotascope.backtest.forward" not in imported, name
