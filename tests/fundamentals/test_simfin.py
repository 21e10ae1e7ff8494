"""SimFin statements in the fundamentals store and the screen that ranks on them (issue #24)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from rotascope.fundamentals.screen import screen_at
from rotascope.fundamentals.simfin import annual_rows
from rotascope.fundamentals.store import SIMFIN_SOURCE, load_fundamentals
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store

SAIA_FY2023 = date(2023, 12, 31)


def _saia(store: Store) -> pd.DataFrame:
    return store.conn.execute(
        "SELECT * FROM fund_annual WHERE symbol = 'SAIA' AND period_end = ? AND source = ?",
        [SAIA_FY2023, SIMFIN_SOURCE],
    ).df()


def test_saia_fy2023_as_loaded_and_invisible_before_its_publish_date(store: Store) -> None:
    """Checked by hand against SAIA's 10-K: revenue 2,881.4 M, operating income 460.5 M."""
    row = _saia(store).sort_values("known_at").iloc[0]
    assert row["sales"] == pytest.approx(2881.4, abs=0.05)
    assert row["sales"] * row["ebit_sales"] == pytest.approx(460.5, abs=0.05)
    published = pd.Timestamp(row["known_at"]).date()
    assert SAIA_FY2023 < published <= date(2024, 3, 31)
    before = load_fundamentals(store, published - timedelta(days=1)).annual.set_index("symbol")
    on = load_fundamentals(store, published).annual.set_index("symbol")
    assert before.at["SAIA", "period_end"] < SAIA_FY2023
    assert on.at["SAIA", "period_end"] == SAIA_FY2023
    assert on.at["SAIA", "sales"] == pytest.approx(2881.4, abs=0.05)


def test_no_simfin_row_is_known_before_its_period_ends(store: Store) -> None:
    early = store.conn.execute(
        "SELECT count(*) FROM fund_annual WHERE source = ? AND known_at <= period_end", [SIMFIN_SOURCE]
    ).fetchall()[0][0]
    assert early == 0


def _export(values: dict[str, float], publish: str, restated: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["X"],
            "period_end": [pd.Timestamp("2022-12-31")],
            "Publish Date": [pd.Timestamp(publish)],
            "Restated Date": [pd.Timestamp(restated)],
            "revenue": [values["revenue"]],
            "op_income": [10.0],
            "net_income": [5.0],
            "assets": [100.0],
            "equity": [50.0],
            "cfo": [np.nan],
        }
    )


def test_a_value_is_known_from_its_publish_date_unless_the_exports_disagree() -> None:
    old = _export({"revenue": 100.0}, "2023-02-20", "2024-02-20")
    same = _export({"revenue": 100.0}, "2023-02-21", "2025-02-20")
    rows, overlap, restated = annual_rows(old, same)
    assert (overlap, restated, len(rows)) == (1, 0, 1)
    assert rows["known_at"].iloc[0] == pd.Timestamp("2023-02-20")
    changed = _export({"revenue": 90.0}, "2023-02-21", "2025-02-20")
    rows, overlap, restated = annual_rows(old, changed)
    assert (overlap, restated) == (1, 1)
    got = dict(zip(rows["revenue"], rows["known_at"], strict=True))
    assert got == {100.0: pd.Timestamp("2023-02-20"), 90.0: pd.Timestamp("2025-02-20")}


def test_screen_2024_07_19_ranks_on_fundamentals_known_by_then(store: Store) -> None:
    as_of = date(2024, 7, 19)
    result = screen_at(store, as_of)
    on_fundamentals = [r for r in result.rows if r.profitability is not None or r.balance_sheet is not None]
    assert len(on_fundamentals) >= 300
    assert max(r.fiscal_year_known_at for r in on_fundamentals if r.fiscal_year_known_at) <= as_of
    assert any(n.startswith("Used: profitability, balance sheet, accruals for") for n in result.notes)
    assert any(n.startswith("Not used: surprise") for n in result.notes)


def test_no_top_name_ranks_on_a_revision_of_a_near_zero_estimate(store: Store) -> None:
    as_of = date(2025, 12, 31)
    floor = load_thresholds().screen.revision_floor
    result = screen_at(store, as_of, top=10)
    revised = [r.symbol for r in result.rows if r.revisions is not None]
    assert revised  # the estimate window is there: some of the top ten rank on revisions
    first = store.conn.execute(
        """SELECT symbol, fiscal_end, arg_min(estimate, known_at) AS first
           FROM fund_estimates WHERE known_at <= ? AND known_at > ? AND report_date >= ?
           GROUP BY symbol, fiscal_end""",
        [as_of, as_of - timedelta(days=28), as_of],
    ).df()
    near_zero = set(first.loc[first["first"].abs() < floor, "symbol"])
    only_near_zero = near_zero - set(first.loc[first["first"].abs() >= floor, "symbol"])
    assert "ALX" in only_near_zero  # 0.00 -> 2.98: the case the floor is for
    assert not set(revised) & only_near_zero
    assert all(abs(r.estimate_revision or 0.0) < 1.0 for r in result.rows)  # per $ of close, not +4,658 %


def test_default_as_of_is_the_latest_day_with_enough_members_and_says_why(store: Store) -> None:
    result = screen_at(store, None, top=5)
    need = load_thresholds().screen.min_members_default
    assert result.notes[0].startswith(f"As of {result.as_of}: the latest stored day on which at least {need}")
    assert result.coverage["profitability"] >= need
