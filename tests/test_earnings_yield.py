"""The SimFin earnings yield of the valuation lens (issue #24) against an independent computation.

The reference reads SimFin's quarterly income export with ``zipfile`` and ``csv`` and the stored member
closes and month-end lists with plain SQL, and shares no code with rotascope's loader: per member, the four
latest consecutive quarters all published by the week, their summed net income, the last quarter's basic
shares times the stored close; the aggregate is sum(net income) / sum(market value).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from statistics import median
from typing import Any

import pytest

from datapaths import SHARED
from rotascope.fundamentals.valuation import valuation_at
from rotascope.regime.thresholds import load_thresholds
from rotascope.store.db import Store

QUARTERLY = SHARED / "fundamentals/simfin/quarterly_fy2019_2025q1/us-income-quarterly.zip"
Quarter = tuple[date, date, float | None, float | None]
"""(period end, publish date, net income, basic shares)."""


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _quarters() -> dict[str, list[Quarter]]:
    """Ticker -> its quarters, sorted by period end (publish date after period end only)."""
    out: dict[str, list[Quarter]] = defaultdict(list)
    with zipfile.ZipFile(QUARTERLY) as zf:
        name = zf.namelist()[0]
        with zf.open(name) as fh:
            for row in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"), delimiter=";"):
                if not row["Report Date"] or not row["Publish Date"]:
                    continue
                end = date.fromisoformat(row["Report Date"])
                pub = date.fromisoformat(row["Publish Date"])
                if pub <= end:
                    continue
                ni, sh = _num(row["Net Income (Common)"]), _num(row["Shares (Basic)"])
                out[row["Ticker"].strip().upper()].append((end, pub, ni, sh))
    cleaned: dict[str, list[Quarter]] = {}
    rules = load_thresholds().earnings_yield
    for ticker, rows in out.items():
        rows = sorted(set(rows))
        rows = list({r[0]: r for r in rows}.values())  # one row per period end (first in file order wins)
        shares = [r[3] for r in rows if r[3] is not None]
        incomes = [abs(r[2]) for r in rows if r[2] is not None]
        mid_sh = median(shares) if shares else None
        mid_ni = median(incomes) if incomes else None
        fixed: list[Quarter] = []
        for end, pub, ni, sh in rows:
            if sh is not None and mid_sh and not (1 / rules.share_band <= sh / mid_sh <= rules.share_band):
                sh = None
            if ni is not None and mid_ni is not None and abs(ni) > rules.income_band * mid_ni:
                ni = None
            fixed.append((end, pub, ni, sh))
        cleaned[ticker] = fixed
    return cleaned


@pytest.fixture(scope="module")
def quarters() -> dict[str, list[Quarter]]:
    return _quarters()


def _member(rows: list[Quarter], day: date, max_age: int) -> tuple[float, float] | None:
    """(trailing net income, basic shares) known at ``day``, or None."""
    best: tuple[date, date, float, float] | None = None
    for i in range(3, len(rows)):
        four = rows[i - 3 : i + 1]
        known = max(q[1] for q in four)
        if known > day or (four[-1][0] - four[0][0]).days > 300:
            continue
        if best is None or (known, four[-1][0]) > (best[0], best[1]):
            ni = [q[2] for q in four]
            sh = four[-1][3]
            total = sum(x for x in ni if x is not None) if all(x is not None for x in ni) else float("nan")
            best = (known, four[-1][0], total, sh if sh is not None else float("nan"))
    if best is None or (day - best[1]).days > max_age or best[2] != best[2] or best[3] != best[3]:
        return None
    return best[2], best[3]


def _by_hand(store: Store, quarters: dict[str, list[Quarter]], universe: str, day: date) -> float:
    rules = load_thresholds().earnings_yield
    listed = store.conn.execute(
        "SELECT DISTINCT symbol FROM membership WHERE universe = ? AND date = "
        "(SELECT max(date) FROM membership WHERE universe = ? AND date <= ?)",
        [universe, universe, day],
    ).fetchall()
    symbols = [s for (s,) in listed]
    closes = dict(
        store.conn.execute(
            "SELECT symbol, close FROM bars WHERE date = ? AND symbol IN (SELECT unnest(?))", [day, symbols]
        ).fetchall()
    )
    ni_sum = mv_sum = 0.0
    for s in symbols:
        got = _member(quarters.get(s, []), day, rules.max_ttm_age_days)
        close = closes.get(s)
        if got is None or close is None or close <= 0:
            continue
        ni, shares = got
        mv = shares * close
        if mv <= 0 or abs(ni) > rules.max_abs_ep * mv:
            continue
        ni_sum += ni
        mv_sum += mv
    return ni_sum / mv_sum


@pytest.mark.parametrize(("universe", "day"), [("R2000", date(2023, 6, 30)), ("SP500", date(2024, 7, 19))])
def test_series_equals_a_computation_by_hand(
    store: Store, quarters: dict[str, list[Quarter]], universe: str, day: date
) -> None:
    want = _by_hand(store, quarters, universe, day)
    got = store.conn.execute(
        "SELECT value FROM series WHERE series_id = ? AND date = ?", [f"ey_{universe.lower()}", day]
    ).fetchall()
    assert got and got[0][0] == pytest.approx(want, rel=1e-6)
    lens = valuation_at(store, day, None, "test")
    assert lens is not None and lens.earnings_yield is not None
    label = {"R2000": "Russell 2000", "SP500": "S&P 500"}[universe]
    reading = next(r for r in lens.earnings_yield.readings if r.universe == label)
    assert reading.data_date == day and reading.value == pytest.approx(want, abs=1e-5)


def test_a_split_between_publish_date_and_as_of_keeps_the_market_value(
    store: Store, quarters: dict[str, list[Quarter]]
) -> None:
    """CMG split 50:1 on 2024-06-26. SimFin restates its earlier share counts to the post-split basis and
    the stored closes are split-adjusted, so shares x close is the market value at the traded price."""
    cmg = {q[0]: q for q in quarters["CMG"]}
    q3 = cmg[date(2023, 9, 30)]  # published 2023-10-27, before the split
    assert q3[1] < date(2024, 6, 26) and q3[3] is not None
    assert 1.3e9 < q3[3] < 1.4e9  # post-split basis: about 27.4 M traded shares x 50
    (close,) = store.conn.execute(
        "SELECT close FROM bars WHERE symbol = 'CMG' AND date = '2023-12-29'"
    ).fetchone()
    assert close * 50 == pytest.approx(2286.96, rel=0.005)  # CMG's traded close that day (no dividends)
    assert q3[3] * close == pytest.approx(27.4e6 * 2286.96, rel=0.03)  # ~ $62.7 bn, the reported value
    # no jump across the split: the market value a week before and after moves with the price only
    rows = store.conn.execute(
        "SELECT date, close FROM bars WHERE symbol = 'CMG' AND date IN ('2024-06-21', '2024-06-28') "
        "ORDER BY date"
    ).fetchall()
    before, after = (c for _, c in rows)
    assert after / before == pytest.approx(1.0, abs=0.1)
    got = _member(quarters["CMG"], date(2024, 6, 28), 200)
    assert got is not None and got[1] * after / (q3[3] * close) == pytest.approx(1.0, abs=0.5)


def test_every_week_is_a_plausible_earnings_yield(store: Store) -> None:
    rows = store.conn.execute(
        "SELECT series_id, min(value), max(value), min(date), max(date), count(*) FROM series "
        "WHERE series_id IN ('ey_r2000', 'ey_sp500') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    span = {r[0]: r[1:] for r in rows}
    lo, hi, first, last, n = span["ey_r2000"]
    assert lo > -0.015 and hi < 0.06 and n > 200  # negative in the loss-heavy years 2024-2025
    assert first <= date(2021, 6, 30) and last >= date(2025, 9, 1)
    lo, hi, first, last, n = span["ey_sp500"]
    assert lo > 0.02 and hi < 0.065 and n > 200
    cover = store.conn.execute(
        "SELECT min(c.value / m.value) FROM series c JOIN series m ON m.date = c.date "
        "WHERE c.series_id = 'ey_r2000_covered' AND m.series_id = 'ey_r2000_members'"
    ).fetchone()[0]
    assert cover >= load_thresholds().earnings_yield.min_coverage
    # point in time: each week's value is known that day
    (late,) = store.conn.execute(
        "SELECT count(*) FROM series WHERE series_id LIKE 'ey\\_%' ESCAPE '\\' AND known_at <> date"
    ).fetchone()
    assert late == 0


def test_after_the_data_the_reading_says_it_ends(store: Store) -> None:
    lens = valuation_at(store, date(2026, 7, 1), None, "test")
    assert lens is not None and lens.earnings_yield is not None
    r2000 = lens.earnings_yield.readings[0]
    assert r2000.universe == "Russell 2000" and r2000.data_date < date(2025, 12, 31)
    assert any(n.startswith("The Russell 2000 earnings yield ends") for n in lens.earnings_yield.notes)
    assert date(2026, 7, 1) - r2000.data_date > timedelta(days=62)


def test_monitor_json_and_terminal_show_it(monitor_json: dict[str, Any], cli_env: dict[str, str]) -> None:
    ey = monitor_json["valuation"]["earnings_yield"]
    assert [r["universe"] for r in ey["readings"]] == ["Russell 2000", "S&P 500"]
    for r in ey["readings"]:
        assert r["data_date"] == "2024-07-19" and 0 < r["covered"] <= r["members"]
        assert r["minus_baa_pp"] is not None and r["minus_hy_pp"] is not None
    assert any("Financials are absent" in n for n in ey["notes"])
    text = subprocess.run(
        [sys.executable, "-m", "rotascope", "monitor", "--as-of", "2024-07-19"],
        env={**cli_env, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sp = ey["readings"][1]
    assert f"{sp['value']:.2%}" in text and "Financials are absent" in text
