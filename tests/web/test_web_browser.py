"""Every dashboard page in a real headless Chromium against a real uvicorn server on loopback.

Checks that the charts are drawn with data (one SVG path per series, as many points as the API sent),
that the numbers on screen are the API's, that errors show the API's sentence, and saves a full-page
screenshot of each page under ``out/web/`` (gitignored) as the artefact of the run.

Skipped, with the reason, when Debian's Chromium (/usr/bin/chromium) or the playwright package is absent.
Playwright's own browser download is never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from rotascope.backtest.result import BacktestResult
from rotascope.config import Settings, config_hash
from rotascope.monitor.run import Monitor
from rotascope.records import Decision, RiskView
from rotascope.report.calibview import calibration_lines, scenario_rows
from rotascope.report.riskdesk import risk_rows
from rotascope.store.analyses import save_analysis
from rotascope.store.db import open_store
from rotascope.web.app import create_app, running_server
from storecopy import private_home

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "out" / "web"
DAY = "2024-07-19"

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is absent (apt-get install chromium); browser tests skipped", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def web_settings(
    loaded_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    monitor: Monitor,
    backtest_result: BacktestResult,
) -> Settings:
    """A private copy of the store with two stored universe analyses, a stock debate and a backtest row."""
    from rotascope.agents import universe_analysis
    from rotascope.backtest.store import save_backtest

    home = private_home(loaded_settings, tmp_path_factory.mktemp("web-browser"))
    settings = replace(loaded_settings, home=home, db=home / "rotascope.duckdb")
    store = open_store(settings, write=True)
    try:
        for day in (date(2024, 3, 28), date(2024, 7, 19)):
            save_analysis(store, universe_analysis(monitor, monitor.at(day), config_hash(settings)))
    finally:
        store.close()
    save_backtest(settings, backtest_result)
    return settings


@pytest.fixture(scope="module")
def base_url(web_settings: Settings, monitor: Monitor) -> Iterator[str]:
    # as `rotascope serve` does: calibrate before the server's threads start (the weekly agent replay
    # forks workers only while no other thread runs; inside the server it would run serially)
    from rotascope.analysis.replay import replay_extra
    from rotascope.calibration.service import calibrated_call

    calibrated_call(monitor, monitor.at(None).as_of, replay_extra)
    with running_server(create_app(web_settings, monitor)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    pg.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()


def api(base_url: str, path: str, **params: str) -> Any:
    r = httpx.get(base_url + path, params=params, timeout=60, trust_env=False)
    r.raise_for_status()
    return r.json()


def load(page: Any, url: str, expect: str = "1") -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    assert page.get_attribute("body", "data-ready") == expect, page.text_content("#error")


def shoot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000  # a blank page is a few KB
    print(f"screenshot: {path}")
    return path


def assert_caveats(page: Any) -> None:
    footer = page.text_content("footer")
    assert "research tooling, not investment advice" in footer
    assert "Survivorship bias" in footer


def points(values: list[float | None]) -> int:
    return sum(v is not None for v in values)


def pairs(xs: list[float | None], ys: list[float | None]) -> int:
    """RRG points drawn: dates where both coordinates are known."""
    return sum(x is not None and y is not None for x, y in zip(xs, ys, strict=True))


def test_dashboard_charts_and_numbers_match_the_api(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/?as_of={DAY}")
    charts = api(base_url, "/api/charts", as_of=DAY)
    mon = api(base_url, "/api/monitor", as_of=DAY)
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll("figure[data-chart]")).map(f => ({
            key: f.dataset.chart, caption: f.querySelector("figcaption").textContent,
            series: Array.from(f.querySelectorAll("path.series")).map(
                p => [p.dataset.series, Number(p.dataset.points), p.getAttribute("d").length]),
            dots: f.querySelectorAll("circle.pt").length,
            labels: Array.from(f.querySelectorAll("text.pt-label")).map(t => t.textContent).sort(),
            legend: Array.from(f.querySelectorAll("ul.legend li")).map(li => li.textContent) }))"""
    )
    by_key = {c["key"]: c for c in charts["charts"]}
    assert {d["key"] for d in drawn} == {
        "iwm_spy",
        "rsp_spy",
        "breadth_r2000",
        "adline_r2000",
        "rrg",
        "rates",
    } | {
        "credit",
        "hyg_ief",
    }
    for fig in drawn:
        assert f"as of {DAY}" in fig["caption"] and "source: bundled" in fig["caption"], fig["caption"]
        if fig["key"] == "rrg":
            # tails (path + every point) only for the chosen few; every other symbol: its latest point
            assert charts["tailed"] == ["IWM", "IWN", "KRE"]
            known = {t["symbol"]: pairs(t["rs_ratio"], t["rs_momentum"]) for t in charts["rotation"]}
            expected = {s: known[s] for s in charts["tailed"]}
            assert {name: n for name, n, _ in fig["series"]} == expected
            others = sum(1 for s, n in known.items() if s not in expected and n)
            assert others >= 10
            assert fig["dots"] == sum(expected.values()) + others
            assert fig["labels"] == sorted(s for s, n in known.items() if n)
            assert fig["legend"] == [
                *(f"{s} (tail, oldest → latest)" for s in charts["tailed"]),
                "others: latest point",
            ]
            continue
        expected = {line["name"]: points(line["values"]) for line in by_key[fig["key"]]["lines"]}
        assert {name: n for name, n, _ in fig["series"]} == expected, fig["key"]
        assert all(n > 0 and d > 100 for _, n, d in fig["series"]), fig  # drawn, with data
    assert next(d for d in drawn if d["key"] == "iwm_spy")["series"][0][1] == 504  # default lookback

    cell = page.locator('[data-testid="rs-IWM/SPY-1w"]')
    assert cell.text_content() == "+3.77%"
    iwm = next(p for p in mon["snapshot"]["pairs"] if p["pair"] == "IWM/SPY")
    assert float(cell.get_attribute("data-value")) == iwm["returns"]["1w"] == 0.037744
    for window in ("1m", "3m", "6m", "12m"):
        shown = page.get_attribute(f'[data-testid="rs-IWM/SPY-{window}"]', "data-value")
        assert float(shown) == iwm["returns"][window]
    reached = page.locator('[data-testid="ladder-reached"]')
    assert int(reached.get_attribute("data-value")) == mon["regime"]["ladder"]["reached"]
    assert page.locator("ol.ladder-summary li").count() == len(mon["regime"]["ladder"]["levels"])
    r2000 = mon["snapshot"]["breadth"][0]
    shown = page.get_attribute(f'[data-testid="breadth-{r2000["universe"]}-% above 50-day"]', "data-value")
    assert float(shown) == r2000["pct_above_50"]
    assert_caveats(page)
    assert page.errors == []
    shoot(page, "dashboard")


def test_dashboard_factor_lenses_equal_the_report_rows(page: Any, base_url: str, monitor: Monitor) -> None:
    """The dashboard's factor table shows the same cells as the terminal/report rows (factorview)."""
    from rotascope.report.factorview import factor_rows

    load(page, f"{base_url}/?as_of={DAY}")
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll("#factor-table tbody tr")).map(
            r => Array.from(r.querySelectorAll("td")).map(td => td.textContent))"""
    )
    assert shown == [list(r) for r in factor_rows(monitor.at(date.fromisoformat(DAY)).snapshot)]


def test_ladder_page_shows_every_level_and_number(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/ladder?as_of={DAY}")
    ladder = api(base_url, "/api/monitor", as_of=DAY)["regime"]["ladder"]
    assert page.locator("section.level").count() == len(ladder["levels"])
    for level in ladder["levels"]:
        rows = page.locator(f'section.level[data-level="{level["level"]}"] tr[data-evidence]')
        assert rows.count() == len(level["evidence"])
        for i, ev in enumerate(level["evidence"]):
            value = rows.nth(i).locator("td.num").get_attribute("data-value")
            assert (float(value) if value else None) == ev["value"]
    assert_caveats(page)
    assert page.errors == []
    shoot(page, "ladder")


def test_debate_page_shows_decision_and_transcript(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/debate?as_of={DAY}")
    a = api(base_url, "/api/analysis", as_of=DAY)
    assert page.text_content('[data-testid="stance"]') == a["decision"]["stance"]
    assert page.text_content('[data-testid="direction"]') == a["decision"]["direction"]
    assert (
        float(page.get_attribute('[data-testid="conviction"]', "data-value")) == a["decision"]["conviction"]
    )
    for s in a["decision"]["scenarios"]:
        shown = page.get_attribute(f'[data-testid="scenario-{s["name"]}"]', "data-value")
        assert float(shown) == s["probability"]
    assert page.locator(".round").count() == len(a["debate"]["rounds"])
    assert page.locator(".opinion").count() == len(a["opinions"])
    assert "Research tooling, not investment advice." in page.text_content(".caveats")
    assert page.errors == []
    shoot(page, "debate")


def desk_rows(page: Any) -> list[tuple[str, str]]:
    """The risk section's rows as shown: (item, text) per table row."""
    cells = page.locator('[data-testid="risk"] tr.risk-row').evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return [(item, text) for item, text in cells]


@pytest.mark.parametrize(
    ("url", "api_path"),
    [("/debate?", "/api/analysis"), ("/stock?symbol=KRE&", "/api/debate/KRE")],
    ids=["universe", "KRE"],
)
def test_risk_plan_is_the_desk_table(page: Any, base_url: str, url: str, api_path: str) -> None:
    """The dashboard shows the same desk rows, worded the same, as the terminal and the reports."""
    load(page, f"{base_url}{url}as_of={DAY}")
    a = api(base_url, api_path, as_of=DAY)
    view = RiskView.model_validate(a["decision"]["risk"])
    shown = desk_rows(page)
    assert shown == risk_rows(view)
    stop = dict(shown)["stop (2 × ATR)"]
    assert view.stop is not None and view.stop_distance is not None
    assert stop == f"{view.stop:,.2f} ({view.stop_distance:+.1%} from the close)"
    assert "% from the close)" in stop
    section = page.text_content('[data-testid="risk"]')
    assert not re.search(r"\d\.\d{5,}", section), "a raw float leaked into the risk plan"
    assert page.errors == []
    shoot(page, f"risk-{a['subject'].split()[0].lower()}")


@pytest.mark.parametrize(
    ("url", "api_path"),
    [("/debate?", "/api/analysis"), ("/stock?symbol=KRE&", "/api/debate/KRE")],
    ids=["universe", "KRE"],
)
def test_scenarios_show_base_rates_and_track_records(
    page: Any, base_url: str, url: str, api_path: str
) -> None:
    """Each probability beside its base rate and track record, then the skill or no-edge statement:
    the same cells and lines, worded the same, as the terminal and the reports (report/calibview.py)."""
    load(page, f"{base_url}{url}as_of={DAY}")
    d = Decision.model_validate(api(base_url, api_path, as_of=DAY)["decision"])
    shown = page.locator("tr[data-scenario]").evaluate_all(
        "rows => rows.map(r => [...r.cells].slice(0, 4).map(c => c.textContent))"
    )
    assert [tuple(r) for r in shown] == scenario_rows(d)
    for s in d.scenarios:
        assert s.base_rate is not None
        assert float(page.get_attribute(f'[data-testid="base-rate-{s.name}"]', "data-value")) == s.base_rate
    lines = page.locator('[data-testid="calibration"] p').all_text_contents()
    assert lines == calibration_lines(d) and lines
    if d.calibration is not None:
        assert all(s.track_record is not None and s.track_record.n > 0 for s in d.scenarios)
        assert f"out-of-sample Brier skill {d.calibration.brier_skill_oos:+.3f}" in lines[0]
        if d.calibration.no_measured_edge:
            assert "no measurable edge" in lines[1] and "the probabilities are the base rates" in lines[1]
    else:
        assert lines[0].startswith("No calibrated model for single names; these are base rates")
    assert page.errors == []
    shoot(page, f"scenarios-{d.subject.split()[0].lower()}")


def test_stock_form_runs_a_single_stock_debate(page: Any, base_url: str, web_settings: Settings) -> None:
    store = open_store(web_settings)
    try:
        symbol = next(
            s
            for s in store.member_symbols()
            if np.isfinite(store.close_panel([s]).values).sum() > 2000
            and store.span(s)[1] >= date(2024, 7, 19)
        )
    finally:
        store.close()
    load(page, f"{base_url}/stock")
    page.fill("input[name=symbol]", symbol.lower())
    page.fill("input[name=as_of]", DAY)
    page.click("#stock-form button[type=submit]")
    page.wait_for_url("**/stock?symbol=*")
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    a = api(base_url, f"/api/debate/{symbol}", as_of=DAY)
    assert a["subject"] == symbol
    assert page.text_content('[data-testid="stance"]') == a["decision"]["stance"]
    assert (
        float(page.get_attribute('[data-testid="conviction"]', "data-value")) == a["decision"]["conviction"]
    )
    assert page.errors == []
    shoot(page, "stock")


def test_history_diff_of_two_runs(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/history")
    rows = api(base_url, "/api/history", kind="universe")
    by_date = {r["as_of"]: r["id"] for r in rows}
    a, b = by_date["2024-03-28"], by_date["2024-07-19"]
    page.check(f'tr[data-id="{a}"] input[name=run-a]')
    page.check(f'tr[data-id="{b}"] input[name=run-b]')
    page.click("#compare")
    page.wait_for_selector(".diff")
    d = api(base_url, "/api/diff", a=a, b=b)
    assert float(page.get_attribute('[data-testid="diff-ladder"]', "data-value")) == d["ladder"]["delta"]
    assert page.text_content('[data-testid="diff-verdict"]') == d["verdict"]
    for s in d["scenarios"]:
        assert float(page.get_attribute(f'[data-testid="diff-p-{s["name"]}"]', "data-value")) == s["delta"]
    assert page.locator(".diff tr[data-evidence]").count() == len(d["evidence"]) > 0
    assert page.locator(".diff tr[data-agent]").count() == len(d["agents"])
    page.click(f'tr[data-id="{b}"] button.link')
    page.wait_for_selector(f'#analysis [data-analysis="{b}"]')
    assert_caveats(page)
    assert page.errors == []
    shoot(page, "history")


def test_backtests_page_lists_and_opens_a_run(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/backtests")
    runs = api(base_url, "/api/backtests")
    assert page.locator("#backtest-table tbody tr").count() == len(runs) >= 1
    page.click(f'tr[data-id="{runs[0]["id"]}"] button.link')
    page.wait_for_selector(".backtest")
    stored = api(base_url, f"/api/backtests/{runs[0]['id']}")["result"]
    shown = len(stored["strategies"]) + len(stored["benchmarks"])
    assert page.locator(".backtest tr[data-strategy]").count() == shown >= 3
    assert page.errors == []
    shoot(page, "backtests")


def test_bad_date_shows_the_api_sentence(page: Any, base_url: str) -> None:
    load(page, f"{base_url}/?as_of=1990-01-01", expect="error")
    r = httpx.get(f"{base_url}/api/monitor", params={"as_of": "1990-01-01"}, trust_env=False)
    assert r.status_code == 422
    assert page.text_content("#error") == r.json()["detail"]
    assert page.is_visible("#error")
