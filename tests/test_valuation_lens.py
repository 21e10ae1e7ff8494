"""The valuation lens (issue #24) against a direct reading of the Fama-French 6 portfolios CSV.

The reference here parses the CSV with its own code (csv module, block by block) and shares nothing with
rotascope's loader: a month's value is the ME-weighted (firms x average cap) mean over the three
portfolios of each size, and it is known at the end of the following month.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

import pytest

from datapaths import SHARED
from rotascope.config import Settings
from rotascope.fundamentals.valuation import valuation_at
from rotascope.monitor.run import Monitor
from rotascope.monitor.valcache import revisions_reading
from rotascope.report.valuationview import valuation_rows
from rotascope.store.db import Store
from webclient import make_client

CSV = SHARED / "factors/6_Portfolios_2x3.csv"


def _blocks() -> dict[str, dict[str, list[float]]]:
    """Heading line -> {YYYYMM: six values} for every monthly block of the file."""
    out: dict[str, dict[str, list[float]]] = {}
    heading = ""
    current: dict[str, list[float]] | None = None
    with CSV.open() as fh:
        for cells in csv.reader(fh):
            first = cells[0].strip() if cells else ""
            if len(first) == 6 and first.isdigit() and current is not None:
                current[first] = [float(c) for c in cells[1:7]]
            elif cells and first == "" and len(cells) == 7:
                current = out.setdefault(heading, {})
            elif first:
                heading = heading + " | " + first if current is None else first
                current = None
    return out


def _pick(blocks: dict[str, dict[str, list[float]]], words: str) -> dict[str, list[float]]:
    return next(v for k, v in blocks.items() if words in k)


def _group(blocks: dict[str, dict[str, list[float]]], what: str, month: str, small: bool) -> float:
    firms = _pick(blocks, "Number of Firms")[month]
    cap = _pick(blocks, "Average Market Cap")[month]
    x = _pick(blocks, what)[month]
    idx = range(0, 3) if small else range(3, 6)
    w = [firms[i] * cap[i] for i in idx]
    return sum(wi * x[i] for wi, i in zip(w, idx, strict=True)) / sum(w)


@pytest.mark.parametrize(
    ("as_of", "month"),
    [(date(2024, 7, 19), "202405"), (date(2000, 3, 31), "200002")],
)
def test_lens_equals_a_direct_computation_from_the_csv(store: Store, as_of: date, month: str) -> None:
    blocks = _blocks()
    lens = valuation_at(store, as_of, None, "test")
    assert lens is not None
    assert lens.data_date.strftime("%Y%m") == month  # the month after it is not public yet
    small = _group(blocks, "BE_FYt-1/ME_June t", month, True)
    big = _group(blocks, "BE_FYt-1/ME_June t", month, False)
    assert lens.be_me_small == pytest.approx(small, abs=1e-4)
    assert lens.spread == pytest.approx(small / big, abs=1e-4)
    op = _group(blocks, "Average of OP", month, True) - _group(blocks, "Average of OP", month, False)
    assert lens.relative_profitability == pytest.approx(op, abs=1e-4)
    # percentile over the whole history up to the data month
    months = sorted(m for m in _pick(blocks, "BE_FYt-1/ME_June t") if m <= month)
    history = [
        _group(blocks, "BE_FYt-1/ME_June t", m, True) / _group(blocks, "BE_FYt-1/ME_June t", m, False)
        for m in months
    ]
    share = sum(h <= small / big + 1e-12 for h in history) / len(history)
    assert lens.spread_percentile.all == pytest.approx(share, abs=1e-3)
    # current price: divided by each group's cumulative value-weighted return since July
    year = int(month[:4]) - (int(month[4:]) < 7)
    since = [m for m in months if f"{year}07" <= m]
    growth = {True: 1.0, False: 1.0}
    for m in since:
        for s in (True, False):
            growth[s] *= 1 + _group(blocks, "Value Weighted Returns -- Monthly", m, s) / 100
    assert lens.spread_now == pytest.approx((small / growth[True]) / (big / growth[False]), abs=1e-4)


def test_after_2024_the_lens_says_its_data_ends(store: Store) -> None:
    lens = valuation_at(store, date(2026, 7, 1), None, "test")
    assert lens is not None and lens.data_date == date(2024, 12, 31)
    assert any("The valuation data ends 2024-12" in n for n in lens.notes)
    assert "cannot decide" in lens.rule


def test_monitor_json_has_a_valuation_block(monitor_json: dict[str, Any]) -> None:
    v = monitor_json["valuation"]
    assert v["data_date"] == "2024-05-31" and v["spread"] > 1
    assert set(v["spread_percentile"]) >= {"all", "y30", "y10"}
    assert v["relative_profitability"] is not None
    names = [f["name"] for f in v["financing"]]
    assert names == ["Baa yield (%)", "HY OAS (%)", "10y-2y curve (pp)"]
    assert all(0 <= f["percentile"] <= 1 for f in v["financing"])
    assert v["rule"].split(":")[0] in {
        "Rates are easing and revisions improve",
        "Rates are sticky and revisions deteriorate",
    } or v["rule"].startswith("Mixed")


def test_web_api_and_report_show_the_same_lens(
    loaded_settings: Settings, monitor: Monitor, store: Store
) -> None:
    day = date(2024, 7, 19)
    improve, source = revisions_reading(monitor.at(day).regime)
    want = valuation_at(store, day, improve, source)
    assert want is not None
    with make_client(loaded_settings, monitor) as client:
        got = client.get("/api/valuation", params={"as_of": "2024-07-19"}).json()
        page = client.get("/", params={"as_of": "2024-07-19"}).text
    assert got == want.model_dump(mode="json")
    assert 'id="valuation-table"' in page
    rows = valuation_rows(want)
    assert rows[0] == ("BE/ME small / big (spread)", f"{want.spread:.2f}", rows[0][2])
    assert rows[0][2].startswith(f"{want.spread_percentile.all:.0%} all")
