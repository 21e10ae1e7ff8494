"""The terminal output reads at 80 columns: no line wider than the console, nothing cut or ellipsised.

Renders the real monitor, the universe analysis and a regime-ETF debate (KRE) for 2024-07-19 into recorded
rich consoles of 80 and 120 columns and checks every line, plus that key numbers come through whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from rich.console import Console

from rotascope.analysis.service import Analyst
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis
from rotascope.report.diff import diff_analyses
from rotascope.report.diffview import render_diff
from rotascope.report.terminal import pct, render, render_analysis
from rotascope.store.db import open_store

DAY = date(2024, 7, 19)
WIDTHS = (80, 120)


@pytest.fixture(scope="module")
def analyses(monitor: Monitor, loaded_settings: Settings) -> Iterator[tuple[Analysis, Analysis, Analysis]]:
    store = open_store(loaded_settings)
    try:
        analyst = Analyst(store, loaded_settings, monitor)
        yield (
            analyst.universe(analyst.session(DAY)),
            analyst.single("KRE", analyst.session(DAY)),
            analyst.universe(analyst.session(date(2024, 7, 12))),
        )
    finally:
        store.close()


def recorded(width: int) -> Console:
    # soft_wrap=True like the CLI's shared console: the renderers must wrap text themselves
    return Console(width=width, record=True, soft_wrap=True, highlight=False, markup=False)


def assert_fits(text: str, width: int) -> None:
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"{len(too_wide)} lines wider than {width}: {too_wide[:3]}"
    cut = [line for line in lines if "…" in line]
    assert not cut, f"ellipsised: {cut[:3]}"


@pytest.mark.parametrize("width", WIDTHS)
def test_monitor_fits(monitor: Monitor, width: int) -> None:
    result = monitor.at(DAY)
    console = recorded(width)
    render(result.snapshot, result.regime, console)
    text = console.export_text()
    assert_fits(text, width)
    iwm = next(p for p in result.snapshot.pairs if p.pair == "IWM/SPY")
    one_month = pct(iwm.returns["1m"])
    assert one_month == "+7.57%"
    row = next(line for line in text.splitlines() if line.startswith(("IWM/SPY ", "│ IWM/SPY ")))
    assert one_month in row and pct(iwm.returns["12m"]) in row
    for sector in result.snapshot.sectors:  # every sector pair is named whole
        assert any(line.lstrip("│ ").startswith(sector.pair + " ") for line in text.splitlines())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", [0, 1], ids=["universe", "debate-KRE"])
def test_analysis_fits(analyses: tuple[Analysis, Analysis, Analysis], width: int, which: int) -> None:
    a = analyses[which]
    console = recorded(width)
    render_analysis(a, console)
    text = console.export_text()
    assert_fits(text, width)
    flat = " ".join(text.split())
    for s in a.decision.scenarios:
        assert f"{s.name}: " in flat
        assert f" {s.probability:.0%} " in flat
    for o in a.opinions:  # every agent's strongest claim survives whole (re-joined across wrapped lines)
        top = max(o.claims, key=lambda c: (c.weight * c.strength, c.id), default=None)
        if top is not None:
            assert " ".join(top.text.split()) in flat
    assert a.decision.risk is not None
    assert f"{a.decision.risk.stop:,.2f} ({a.decision.risk.stop_distance:+.1%} from the close)" in flat


def test_universe_claims_carry_the_iwm_spy_month(analyses: tuple[Analysis, Analysis, Analysis]) -> None:
    console = recorded(80)
    render_analysis(analyses[0], console)
    assert "IWM/SPY 1m relative return +7.57 %" in " ".join(console.export_text().split())


@pytest.mark.parametrize("width", WIDTHS)
def test_diff_fits(analyses: tuple[Analysis, Analysis, Analysis], width: int) -> None:
    d = diff_analyses(analyses[2], analyses[0])
    console = recorded(width)
    render_diff(d, console)
    text = console.export_text()
    assert_fits(text, width)
    flat = " ".join(text.replace("│", " ").split())  # wide tables rule their columns
    assert "IWM/SPY 1m relative return +1.53% +7.57% +6.04% pass → pass" in flat
    for s in d.scenarios:
        assert s.old is not None and s.new is not None and s.delta is not None
        assert f"P({s.name}) {s.old:.0%} {s.new:.0%} {s.delta * 100:+.0f} pp" in flat
    assert " ".join(d.verdict.split()) in flat
