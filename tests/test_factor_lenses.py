"""Factor lenses equal the French library files: the windowed returns at an as-of compound the daily
factor returns of the 21/63 rows ending at the last factor date known then (never a later one)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from datapaths import SHARED
from rotascope.agents.base import AgentContext
from rotascope.agents.internals import factor_lens_claims
from rotascope.measures import HML, MOM, RMW, SMB, Measure
from rotascope.monitor.run import Monitor


def french(name: str, column: str) -> pd.Series:
    """A daily factor column of a French library CSV (percent), indexed by date."""
    path = SHARED / "factors" / name
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date,"))
    frame = pd.read_csv(path, skiprows=start, skipinitialspace=True)
    frame = frame[pd.to_datetime(frame["Date"], errors="coerce").notna()]
    return frame.set_index(pd.to_datetime(frame["Date"]))[column].astype(float)


FIVE = "F-F_Research_Data_5_Factors_2x3_daily.csv"


@pytest.mark.parametrize("day", [date(2020, 3, 20), date(2024, 7, 19)])
@pytest.mark.parametrize(
    ("measure", "file", "column", "rows"),
    [
        (RMW["3m"], FIVE, "RMW", 63),
        (HML["1m"], FIVE, "HML", 21),
        (SMB["3m"], FIVE, "SMB", 63),
        (MOM["1m"], "F-F_Momentum_Factor_daily.csv", "Mom", 21),
    ],
)
def test_factor_window_equals_the_french_file(
    monitor: Monitor, day: date, measure: Measure, file: str, column: str, rows: int
) -> None:
    snap = monitor.at(day).snapshot
    seen = snap.factors_observed[measure.name]
    assert seen is not None and seen <= day
    daily = french(file, column)
    window = daily[daily.index <= pd.Timestamp(seen)].tail(rows)
    expected = float(np.prod(1 + window.to_numpy() / 100.0) - 1)
    assert measure.of(snap) == pytest.approx(expected, abs=1e-6)


def test_factor_claims_cite_their_data_date_and_never_invent_values(monitor: Monitor) -> None:
    result = monitor.at(date(2024, 7, 19))
    ctx = AgentContext(result, monitor.panel)
    quality, value = factor_lens_claims(ctx)
    assert value.evidence[0].name == "IWN/IWO 3m relative return"
    assert "Fama-French data through" in quality.evidence[0].note
    assert quality.evidence[0].value == RMW["3m"].of(result.snapshot)
    early = monitor.at(date(2001, 6, 29))  # IWN/IWO exist since 2000-07: a 3m value, not a zero
    v = factor_lens_claims(AgentContext(early, monitor.panel))[1]
    assert v.evidence[0].value is None or v.evidence[0].value != 0.0


def test_factor_rows_show_each_lens_with_its_data_date(monitor: Monitor) -> None:
    from rotascope.report.factorview import factor_rows

    snap = monitor.at(date(2024, 7, 19)).snapshot
    rows = {r[0]: r for r in factor_rows(snap)}
    quality = rows["profitability (RMW)"]
    assert quality[2] == f"{RMW['3m'].of(snap) * 100:+.1f}%"  # type: ignore[operator]
    assert quality[-1] == str(snap.factors_observed["rmw_3m"]) and quality[-1] < "2024-07-19"
