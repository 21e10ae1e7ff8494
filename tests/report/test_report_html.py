"""HTML report: self-contained, shows the analysis' numbers, escapes text, and is deterministic."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterator
from datetime import date

import pytest

from rotascope.analysis.service import Analyst
from rotascope.backtest.attribution import SignalStat
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.report.calibview import calibration_lines
from rotascope.report.chartdata import chart_data
from rotascope.report.charts import render_charts
from rotascope.report.command import gather
from rotascope.report.desk_sections import build_document
from rotascope.report.document import DISCLAIMER, NO_BACKTEST, BacktestVerdict, ReportData
from rotascope.report.html import render_html, report_html
from rotascope.report.terminal import evidence_value
from rotascope.store.db import open_store

AS_OF = date(2024, 7, 19)
EVIL = '<script>alert("x")</script><img src=http://evil.example/x.png onerror=alert(1)>'


@pytest.fixture(scope="module")
def data(monitor: Monitor, loaded_settings: Settings) -> Iterator[ReportData]:
    store = open_store(loaded_settings)
    try:
        yield gather(a := Analyst(store, loaded_settings, monitor), a.session(AS_OF))
    finally:
        store.close()


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return report_html(data)


def test_self_contained(page: str, data: ReportData) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(images) == len(data.charts) >= 10
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_headline_as_of_caveat_disclaimer(page: str, data: ReportData) -> None:
    a = data.analysis
    assert a.as_of == AS_OF
    assert f"as of {AS_OF}" in page
    fresh = data.freshness
    assert fresh is not None and fresh.data_as_of == date(2026, 7, 1)
    assert page.index(html.escape(fresh.line())) < page.index("<table")  # the data's age comes first
    assert a.id in page and a.data_fingerprint in page
    assert a.decision.stance in page
    assert f"<td>direction</td><td>{a.decision.direction}</td>" in page
    assert f"{a.decision.conviction:+.2f}" in page
    assert page.count(DISCLAIMER) == 1
    assert "Survivorship" in page  # the breadth caveat
    for caveat in a.caveats:
        assert html.escape(caveat) in page


def test_ladder_numbers_match_the_analysis(page: str, data: ReportData) -> None:
    ladder = data.monitor.regime.ladder
    assert data.analysis.ladder_reached == ladder.reached
    assert f"Level {ladder.reached} of 5 reached" in page
    assert f"level {data.analysis.ladder_reached} of 5" in page
    for level in ladder.levels:
        assert f"Level {level.level}: " in page
        for e in level.evidence:
            row = re.search(rf"<tr><td>{re.escape(html.escape(e.name))}</td><td>([^<]*)</td>", page)
            assert row is not None, e.name
            assert row.group(1) == html.escape(evidence_value(e))
    # every scenario probability, as the Analysis has it
    for s in data.analysis.decision.scenarios:
        assert f"<td>{s.name}</td><td>{s.probability:.0%}</td>" in page


def test_escapes_malicious_text(data: ReportData) -> None:
    a = data.analysis
    evil = a.model_copy(update={"subject": EVIL, "caveats": [*a.caveats, EVIL]})
    page = report_html(dataclasses.replace(data, analysis=evil, charts=()))
    assert EVIL not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<img src=http" not in page
    assert "&lt;img src=http://evil.example/x.png onerror=alert(1)&gt;" in page


def test_deterministic(data: ReportData, monitor: Monitor) -> None:
    again = dataclasses.replace(data, charts=tuple(render_charts(chart_data(monitor.panel, AS_OF))))
    first = report_html(data).encode()
    second = report_html(again).encode()
    assert first == second


def test_backtest_section_both_ways(data: ReportData) -> None:
    empty = render_html(build_document(dataclasses.replace(data, backtest=None, charts=())))
    assert NO_BACKTEST in empty
    fired = data.fired_signals
    assert "ladder_l1" in fired  # the ladder reached level 5 on 2024-07-19
    verdict = BacktestVerdict(
        run_id="bt-test",
        start="2000-05-26",
        end="2024-06-28",
        data_fingerprint=data.analysis.data_fingerprint,
        stats=(
            SignalStat(
                signal="ladder_l1",
                kind="flag",
                horizon_weeks=13,
                weeks=1200,
                fired=400,
                mean_fired=0.0123,
                base_mean=0.0011,
                edge=0.0112,
                hit_rate=0.56,
                base_hit_rate=0.5,
                ic=0.081,
                ci_low=-0.002,
                ci_high=0.025,
                survivorship=False,
            ),
        ),
    )
    page = render_html(build_document(dataclasses.replace(data, backtest=verdict, charts=())))
    assert NO_BACKTEST not in page
    assert "bt-test" in page
    assert "<td>ladder_l1</td><td>13</td><td>1,200</td><td>400</td><td>+1.23%</td>" in page
    assert "+0.081" in page


def test_universe_risk_and_stress_sections(page: str, data: ReportData) -> None:
    risk = data.analysis.decision.risk
    assert risk is not None and "Risk controls" in page
    assert risk.stress and '<section id="stress">' in page
    # the desk table: percentages and prices, never a raw float of the record
    assert f"{risk.stop:,.2f} ({risk.stop_distance:+.1%} from the close)" in page
    assert risk.sizing is not None and f"{risk.sizing.satellite_tilt:.1%} of equity" in page
    assert repr(risk.sizing.satellite_tilt) not in page
    for level in risk.invalidation:
        assert f"<td>{level.name}</td>" in page


def _scenario_cells(page: str, name: str) -> list[str]:
    """The cells of the scenarios table's row for ``name`` (bull, base or bear), unescaped."""
    section = page[page.index('id="scenarios"') :]
    row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", section, re.DOTALL)
    assert row is not None, name
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)]


def test_scenarios_show_base_rates_track_records_and_skill(page: str, data: ReportData) -> None:
    """Next to each probability: its base rate and track record as the JSON has them; then the skill."""
    js = json.loads(data.analysis.to_json())
    d = js["decision"]
    cal = d["calibration"]
    assert cal is not None and len(d["scenarios"]) == 3
    for s in d["scenarios"]:
        cells = _scenario_cells(page, s["name"])
        assert cells[0] == f"{s['probability']:.0%}"
        assert cells[1] == f"{s['base_rate']:.0%}"
        k = ("bear", "base", "bull").index(s["name"])
        assert s["base_rate"] == cal["base_rates"][k]
        assert cells[2] == s["track_record"]["text"]
        assert re.fullmatch(rf"P\({s['name']}\) \d+%-\d+%: n = \d+, happened \d+%", cells[2])
        assert cells[3] == s["outcome"]
    skill = "n/a" if cal["brier_skill_oos"] is None else f"{cal['brier_skill_oos']:+.3f}"
    assert f"Brier skill {skill} against the expanding climatology over {cal['n_oos']} calls" in page
    assert html.escape(cal["note"]) in page
    assert cal["base_rate_source"].startswith("Base rates: how often IWM ended outside the band")
    assert html.escape(cal["base_rate_source"]) in page
    if cal["no_measured_edge"]:  # the embedded data: no measurable edge, so the base rates are shown
        assert "no measurable edge out of sample" in cal["note"]
        assert "the probabilities are the base rates" in cal["note"]
        assert cal["probabilities"] == cal["base_rates"]


@pytest.mark.parametrize("symbol", ["KRT", "KRE"])
def test_single_name_report_carries_its_base_rates(
    monitor: Monitor, loaded_settings: Settings, symbol: str
) -> None:
    store = open_store(loaded_settings)
    try:
        data = gather(a := Analyst(store, loaded_settings, monitor), a.session(AS_OF), symbol, charts=False)
    finally:
        store.close()
    text = report_html(data)
    d = data.analysis.decision
    cal = d.calibration  # issue 23: a member's cross-sectional call; an ETF's own base rates
    assert cal is not None
    for line in calibration_lines(d):
        assert html.escape(line) in text
    if symbol == "KRE":
        assert d.base_rates is not None and d.base_rates.note.startswith(
            "No calibrated model for single names; these are base rates"
        )
        assert cal.probabilities == cal.base_rates and "no measurable edge" in cal.note
    else:
        assert cal.base_rate_source.startswith("Base rates: the frequency of each outcome among the")
    for s in d.scenarios:
        cells = _scenario_cells(text, s.name)
        assert s.base_rate is not None and cells[1] == f"{s.base_rate:.0%}"
        assert s.track_record is not None and cells[2] == s.track_record.text and cells[3] == s.outcome
