"""Markdown report: the same content as the HTML report, as tables; charts as PNG files next to it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date

import pytest

from rotascope.analysis.service import Analyst
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.report.charts import ChartImage
from rotascope.report.command import gather
from rotascope.report.desk_sections import build_document
from rotascope.report.document import DISCLAIMER, ReportData
from rotascope.report.markdown import md_escape, render_markdown
from rotascope.report.riskdesk import risk_rows
from rotascope.report.terminal import evidence_value
from rotascope.store.db import open_store

AS_OF = date(2024, 7, 19)
PNG = b"\x89PNG\r\n\x1a\nfake"


@pytest.fixture(scope="module")
def data(monitor: Monitor, loaded_settings: Settings) -> Iterator[ReportData]:
    store = open_store(loaded_settings)
    try:
        base = gather(a := Analyst(store, loaded_settings, monitor), a.session(AS_OF), charts=False)
    finally:
        store.close()
    yield dataclasses.replace(base, charts=(ChartImage("iwm_spy", "IWM/SPY ratio", "a note", PNG),))


def test_markdown_tables_and_numbers(data: ReportData) -> None:
    text, files = render_markdown(build_document(data), "r_charts")
    assert text.startswith("# rotascope")
    assert f"as of {AS_OF}" in text
    assert text.count(DISCLAIMER) == 1
    assert files == {"r_charts/iwm_spy.png": PNG}
    assert "![IWM/SPY ratio — a note](r_charts/iwm\\_spy.png)" not in text  # paths are not escaped
    assert "![IWM/SPY ratio — a note](r_charts/iwm_spy.png)" in text
    ladder = data.monitor.regime.ladder
    assert f"Level {ladder.reached} of 5 reached" in text
    for level in ladder.levels:
        for e in level.evidence:
            assert f"| {md_escape(e.name)} | {md_escape(evidence_value(e))} |" in text
    for s in data.analysis.decision.scenarios:
        assert f"| {s.name} | {s.probability:.0%} |" in text
    for caveat in data.analysis.caveats:
        assert md_escape(caveat) in text
    # every table row has as many cells as its header
    for block in text.split("\n\n"):
        rows = [ln for ln in block.splitlines() if ln.startswith("|")]
        if rows:
            widths = {ln.replace("\\|", "").count("|") for ln in rows}
            assert len(widths) == 1, block[:200]


def test_charts_omitted_without_a_folder(data: ReportData) -> None:
    text, files = render_markdown(build_document(data), None)
    assert files == {}
    assert "*Chart omitted: IWM/SPY ratio — a note.*" in text


def test_escaping() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<b>x</b> & *y*") == "&lt;b&gt;x&lt;/b&gt; &amp; \\*y\\*"
    assert md_escape("two\nlines") == "two lines"
    assert md_escape("[link](http://x)") == "\\[link\\](http://x)"


def test_markdown_risk_plan_is_the_desk_table(data: ReportData) -> None:
    """The Markdown report words the risk plan like the terminal: stop with its distance, no raw floats."""
    text, _ = render_markdown(build_document(data))
    view = data.analysis.decision.risk
    assert view is not None and view.stop is not None and view.stop_distance is not None
    assert "| item | value |" in text
    stop = f"{view.stop:,.2f} ({view.stop_distance:+.1%} from the close)"
    assert f"| {md_escape('stop (2 × ATR)')} | {md_escape(stop)} |" in text
    for item, value in risk_rows(view):
        if item not in {r.scenario for r in view.stress}:
            assert f"| {md_escape(item)} | {md_escape(value)} |" in text
    section = text.split('<a id="risk"></a>', 1)[1].split("<a id=", 1)[0]
    assert not re.search(r"\d\.\d{5,}", section), "a raw float leaked into the risk plan"
