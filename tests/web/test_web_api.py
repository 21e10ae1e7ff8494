"""The JSON API against the real store (embedded dataset): its numbers are the Python API's numbers, bad
input is a 4xx with one sentence (never a 500), GETs change nothing, and the pages are escaped and carry
the caveats. Writes (POST, saved backtests) go to a private copy of the store, never the shared one."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import typer
from markupsafe import escape
from typer.testing import CliRunner

from rotascope.agents import universe_analysis
from rotascope.analysis.service import Analyst
from rotascope.backtest.result import BacktestResult
from rotascope.config import Settings, config_hash
from rotascope.monitor.data import align
from rotascope.monitor.engine import SURVIVORSHIP
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis
from rotascope.report.chartdata import chart_data
from rotascope.report.diff import diff_analyses
from rotascope.store.db import open_store
from rotascope.web.command import register
from storecopy import private_home
from webclient import TODAY, fresh_fields, make_client

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

DAY = date(2024, 7, 19)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data's age in the bodies is computed against ROTASCOPE_TODAY, not the day the tests run."""
    monkeypatch.setenv("ROTASCOPE_TODAY", TODAY.isoformat())


def private_copy(settings: Settings, home: Path) -> Settings:
    """A copy of the loaded store in ``home``, for tests that write."""
    private_home(settings, home)
    return replace(settings, home=home, db=home / "rotascope.duckdb")


@pytest.fixture(scope="module")
def client(loaded_settings: Settings, monitor: Monitor) -> Iterator[TestClient]:
    with make_client(loaded_settings, monitor) as c:
        yield c


@pytest.fixture(scope="module")
def rw_settings(loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return private_copy(loaded_settings, tmp_path_factory.mktemp("web-rw"))


@pytest.fixture(scope="module")
def rw_client(rw_settings: Settings, monitor: Monitor) -> Iterator[TestClient]:
    with make_client(rw_settings, monitor) as c:
        yield c


@pytest.fixture(scope="module")
def stock_symbol(loaded_settings: Settings, monitor: Monitor) -> str:
    """A Russell 2000 member with a full history up to DAY (the first such, alphabetically)."""
    store = open_store(loaded_settings)
    try:
        row = monitor.panel.row(DAY)
        for sym in store.member_symbols()[:200]:
            close = align(store.close_panel([sym]), monitor.panel.calendar).column(sym)[: row + 1]
            if np.isfinite(close).sum() > 1000 and np.isfinite(close[-1]):
                return sym
    finally:
        store.close()
    pytest.fail("no R2000 member with enough history")


def one_sentence(body: dict[str, Any]) -> str:
    detail = body["detail"]
    assert isinstance(detail, str) and detail.endswith(".") and "\n" not in detail, body
    assert "Traceback" not in detail
    return detail


# ------------------------------------------------------------------------------------------ numbers
def test_monitor_matches_python_api(client: TestClient, monitor: Monitor, loaded_settings: Settings) -> None:
    r = client.get("/api/monitor", params={"as_of": "2024-07-19"})
    assert r.status_code == 200
    body = r.json()
    iwm = next(p for p in body["snapshot"]["pairs"] if p["pair"] == "IWM/SPY")
    assert iwm["returns"]["1w"] == 0.037744
    assert iwm["returns"]["1m"] == 0.075695
    assert body == json.loads(monitor.at(DAY).to_json()) | fresh_fields(monitor, loaded_settings)
    assert body["data_as_of"] == "2026-07-01" and body["stale"] is True  # the embedded data's age
    assert body["disclaimer"] == "Research tooling, not investment advice."


def test_non_trading_day_resolves_to_the_last_session_before(client: TestClient) -> None:
    body = client.get("/api/monitor", params={"as_of": "2024-07-20"}).json()  # a Saturday
    assert body["as_of"] == "2024-07-19"


def test_latest_by_default(client: TestClient, monitor: Monitor) -> None:
    body = client.get("/api/monitor").json()
    assert body["as_of"] == str(monitor.panel.calendar[-1].astype(date))


def test_charts_match_chart_data(client: TestClient, monitor: Monitor) -> None:
    r = client.get("/api/charts", params={"as_of": "2024-07-19", "lookback": 120})
    assert r.status_code == 200
    body = r.json()
    assert body == json.loads(chart_data(monitor.panel, DAY, 120).to_json())
    iwm = next(c for c in body["charts"] if c["key"] == "iwm_spy")
    assert len(iwm["dates"]) == 120 and iwm["dates"][-1] == "2024-07-19"
    assert body["source"] == "bundled"
    assert {t["symbol"] for t in body["rotation"]} >= {"IWM", "XLK"}


def test_analysis_matches_and_is_not_stored(
    client: TestClient, loaded_settings: Settings, monitor: Monitor
) -> None:
    before = client.get("/api/history", params={"limit": 1000}).json()
    r = client.get("/api/analysis", params={"as_of": "2024-07-19"})
    assert r.status_code == 200
    store = open_store(loaded_settings)
    try:
        expected = (a := Analyst(store, loaded_settings, monitor)).universe(
            a.session(DAY)
        )  # the one analysis service
    finally:
        store.close()
    assert r.json() == json.loads(expected.to_json()) | fresh_fields(monitor, loaded_settings)
    assert expected.decision.calibration is not None  # calibrated, like the CLI
    assert client.get("/api/history", params={"limit": 1000}).json() == before


def test_debate_matches_stock_analysis(
    client: TestClient, loaded_settings: Settings, monitor: Monitor, stock_symbol: str
) -> None:
    r = client.get(f"/api/debate/{stock_symbol.lower()}", params={"as_of": "2024-07-19"})
    assert r.status_code == 200, r.text
    store = open_store(loaded_settings)
    try:
        expected = (a := Analyst(store, loaded_settings, monitor)).single(stock_symbol, a.session(DAY))
    finally:
        store.close()
    assert r.json() == json.loads(expected.to_json()) | fresh_fields(monitor, loaded_settings)
    assert r.json()["kind"] == "stock"


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["monitor_ready"] is True
    assert body["first_as_of"] < "2024-07-19" < body["last_as_of"]


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/monitor?as_of=banana", 422, "as_of"),
        ("/api/monitor?as_of=2024-13-45", 422, "as_of"),
        ("/api/monitor?as_of=1990-01-01", 422, "too early"),
        ("/api/monitor?as_of=2999-01-01", 422, "after the last stored date"),
        ("/api/charts?lookback=0", 422, "lookback"),
        ("/api/charts?lookback=100000000000000000000", 422, "lookback"),
        ("/api/charts?as_of=1900-01-01", 422, "too early"),
        ("/api/analysis?as_of=2999-12-31", 422, "after the last"),
        ("/api/debate/NOSUCHSYM", 404, "Unknown symbol"),
        ("/api/debate/%3Cscript%3E", 404, "Unknown symbol"),
        ("/api/debate/SPY", 422, "is the benchmark"),
        ("/api/debate/AAPL?as_of=x", 422, "as_of"),
        ("/api/history/ffffffffffffffff", 404, "No stored analysis"),
        ("/api/history/%25", 404, "No stored analysis"),
        ("/api/history/_", 404, "No stored analysis"),
        ("/api/history?limit=-1", 422, "limit"),
        ("/api/history?kind=other", 422, "kind"),
        ("/api/diff?a=1", 422, "'b'"),
        ("/api/diff?a=00&b=01", 404, "No stored analysis"),
        ("/api/backtests/nope", 404, "No stored backtest"),
        ("/api/backtests/..%2F..%2Fetc", 404, "Nothing at"),
        ("/api/nothing-here", 404, "Nothing at"),
    ],
)
def test_bad_input_is_a_4xx_sentence(client: TestClient, url: str, status: int, words: str) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert words in one_sentence(r.json())


def test_missing_store_is_503_not_500(tmp_path: Path, loaded_settings: Settings, monitor: Monitor) -> None:
    gone = replace(loaded_settings, home=tmp_path, db=tmp_path / "none.duckdb")
    with make_client(gone, monitor) as c:
        r = c.get("/api/history")
    assert r.status_code == 503
    assert "rotascope init" in one_sentence(r.json())


# ----------------------------------------------------------------------------------- history / diff
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gets_do_not_write(rw_client: TestClient, rw_settings: Settings, stock_symbol: str) -> None:
    home_files = {p for p in rw_settings.home.rglob("*") if p.is_file()}
    digest = _sha(rw_settings.db)
    for url in (
        "/api/monitor?as_of=2023-01-03",
        "/api/charts?as_of=2023-01-03",
        "/api/analysis?as_of=2023-01-03",
        f"/api/debate/{stock_symbol}?as_of=2023-01-03",
        "/api/history",
        "/api/backtests",
        "/api/health",
    ):
        assert rw_client.get(url).status_code == 200, url
    assert _sha(rw_settings.db) == digest
    assert {p for p in rw_settings.home.rglob("*") if p.is_file()} == home_files


def test_post_stores_then_history_lists_and_diffs(
    rw_client: TestClient, rw_settings: Settings, monitor: Monitor, stock_symbol: str
) -> None:
    a = rw_client.post("/api/analysis", params={"as_of": "2024-03-28"})
    b = rw_client.post("/api/analysis", params={"as_of": "2024-07-19"})
    s = rw_client.post(f"/api/debate/{stock_symbol}", params={"as_of": "2024-07-19"})
    assert a.status_code == b.status_code == s.status_code == 200, (a.text, b.text, s.text)
    ids = {x.json()["id"] for x in (a, b, s)}
    listed = rw_client.get("/api/history").json()
    assert ids <= {row["id"] for row in listed}
    assert {row["kind"] for row in listed if row["id"] in ids} == {"universe", "stock"}
    assert len(rw_client.get("/api/history", params={"kind": "stock"}).json()) >= 1

    a_id, b_id = a.json()["id"], b.json()["id"]
    fresh = fresh_fields(monitor, rw_settings)
    assert {key: a.json()[key] for key in fresh} == fresh  # the POST answers say the data's age too
    stored = {key: value for key, value in a.json().items() if key not in fresh}  # the analysis alone
    assert rw_client.get(f"/api/history/{a_id}").json() == stored
    assert rw_client.get(f"/api/history/{a_id[:10].upper()}").json() == stored  # prefix, any case

    r = rw_client.get("/api/diff", params={"a": a_id, "b": b_id})
    assert r.status_code == 200
    body = r.json()
    a_stored = Analysis.model_validate(stored)
    b_stored = Analysis.model_validate({k: v for k, v in b.json().items() if k not in fresh})
    expected = diff_analyses(a_stored, b_stored)
    assert body == json.loads(expected.to_json())
    assert body["ladder"]["delta"] == b.json()["ladder_reached"] - a.json()["ladder_reached"]
    assert body["evidence"], "two dates four months apart must differ in some evidence"
    assert body["same_data"] and body["same_config"] and not body["subject"]["changed"]


def test_backtests_empty_without_table_then_listed(
    rw_client: TestClient, rw_settings: Settings, backtest_result: BacktestResult
) -> None:
    from rotascope.backtest.store import save_backtest

    store = open_store(rw_settings)
    try:
        has_table = store.conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'backtests'"
        ).fetchall()[0][0]
    finally:
        store.close()
    if not has_table:
        assert rw_client.get("/api/backtests").json() == []
    rid = save_backtest(rw_settings, backtest_result)
    rows = rw_client.get("/api/backtests").json()
    row = next(r for r in rows if r["id"] == rid)
    assert row["start"] == str(backtest_result.start) and row["created_at"].endswith("Z")
    detail = rw_client.get(f"/api/backtests/{rid}")
    assert detail.json() == {"id": rid, "result": json.loads(backtest_result.to_json())}
    # the stored record's canonical JSON, unindented: the same bytes the API served before it was typed
    expected = {"id": rid, "result": json.loads(backtest_result.to_json())}
    assert detail.content == json.dumps(expected, sort_keys=True, separators=(",", ":")).encode()
    # a row this version cannot read (older schema, hand-edited) answers one sentence, not a 500
    broken = json.loads(backtest_result.to_json())
    del broken["attribution"]
    with open_store(rw_settings, write=True) as s:
        s.conn.execute("UPDATE backtests SET result = ? WHERE id = ?", [json.dumps(broken), rid])
    r = rw_client.get(f"/api/backtests/{rid}")
    assert r.status_code == 503
    assert r.json()["detail"].startswith(f"Stored backtest {rid} cannot be read by this version")


# ----------------------------------------------------------------------------------------- diffing
def test_diff_of_a_run_with_itself_is_empty(loaded_settings: Settings, monitor: Monitor) -> None:
    a = universe_analysis(monitor, monitor.at(DAY), config_hash(loaded_settings))
    d = diff_analyses(a, a)
    assert d.evidence == [] and d.evidence_compared > 0
    assert not d.stance.changed and d.ladder.delta == 0 and d.conviction.delta == 0
    assert all(s.delta == 0 for s in d.scenarios)
    assert all(g.score.delta == 0 and not g.stance.changed for g in d.agents)
    assert d.killers == [] and d.broadening == "no clear change"


def test_diff_reports_stance_killers_and_evidence(loaded_settings: Settings, monitor: Monitor) -> None:
    a = universe_analysis(monitor, monitor.at(DAY), config_hash(loaded_settings))
    op, initial = a.debate.final[0], a.opinions[0]
    claim = initial.claims[0]
    moved = claim.evidence[0].model_copy(update={"value": (claim.evidence[0].value or 0) + 1})
    new_final = op.model_copy(update={"stance": "bearish" if op.stance != "bearish" else "bullish"})
    new_claim = claim.model_copy(update={"evidence": [moved, *claim.evidence[1:]]})
    new_initial = initial.model_copy(update={"claims": [new_claim, *initial.claims[1:]]})
    b = a.model_copy(
        update={
            "id": "b",
            "decision": a.decision.model_copy(update={"stance": "changed"}),
            "killers_triggered": [*a.killers_triggered, "new_killer"],
            "opinions": [new_initial, *a.opinions[1:]],
            "debate": a.debate.model_copy(update={"final": [new_final, *a.debate.final[1:]]}),
        }
    )
    d = diff_analyses(a, b)
    assert d.stance.changed and d.stance.new == "changed"
    assert [(k.key, k.change) for k in d.killers] == [("new_killer", "fired")]
    assert [g.agent for g in d.agents if g.stance.changed] == [op.agent]
    assert [(e.agent, e.name, e.delta) for e in d.evidence] == [(initial.agent, moved.name, 1.0)]


# ------------------------------------------------------------------------------------------- pages
@pytest.mark.parametrize("path", ["/", "/ladder", "/debate", "/stock", "/screen", "/history", "/backtests"])
def test_pages_carry_caveats_and_csp(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "research tooling, not investment advice" in r.text
    assert str(escape(SURVIVORSHIP)) in r.text  # autoescaped: ' is &#39;
    assert "/static/charts.js" in r.text
    banner = r.text.split('id="freshness"', 1)[1].split("</p>", 1)[0]  # the data's age, first on the page
    assert "the last complete session is 2026-07-01" in banner and "days before today" in banner


def test_page_text_is_escaped(client: TestClient) -> None:
    r = client.get("/stock", params={"symbol": '"><script>alert(1)</script>', "as_of": "<img src=x>"})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<img src=x>" not in r.text
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in r.text and "&#34;" in r.text


def test_static_assets_served(client: TestClient) -> None:
    for name in ("charts.js", "app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_openapi_documents_every_answer(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/monitor",
        "/api/charts",
        "/api/analysis",
        "/api/debate/{symbol}",
        "/api/history",
        "/api/history/{analysis_id}",
        "/api/diff",
        "/api/backtests",
        "/api/backtests/{backtest_id}",
        "/api/health",
    }
    assert not any(p == "/" or p.startswith("/stock") for p in paths)  # pages are not API
    for path, ops in paths.items():
        for method, op in ops.items():
            ok = op["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok, f"{method} {path} has no response schema"
            assert "Problem" in json.dumps(op["responses"].get("422", op["responses"].get("404", {})))
    schemas = spec["components"]["schemas"]
    for model in ("MonitorAnswer", "ChartData", "AnalysisAnswer", "Analysis", "AnalysisDiff", "Problem"):
        assert model in schemas
    for model in ("MonitorAnswer", "AnalysisAnswer"):  # the data's age is documented where it is served
        assert {"data_as_of", "data_age_days", "stale", "stale_days"} <= set(schemas[model]["required"])


# ----------------------------------------------------------------------------------------- command
def _cli(settings: Settings) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = settings

    register(app)
    return app


def test_serve_rejects_bad_port_and_busy_port_in_one_sentence(loaded_settings: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(_cli(loaded_settings), ["serve", "--port", "70000"])
    assert result.exit_code == 2  # refused by the CLI with its range (issue 21), before anything starts
    assert "must be a whole number from 1 to 65535" in " ".join(result.output.replace("│", " ").split())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(_cli(loaded_settings), ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} is already in use" in result.output
    assert "Traceback" not in result.output


def test_serve_without_store_says_run_init(tmp_path: Path, loaded_settings: Settings) -> None:
    gone = replace(loaded_settings, home=tmp_path, db=tmp_path / "none.duckdb")
    result = CliRunner().invoke(_cli(gone), ["serve"])
    assert result.exit_code == 1
    assert "rotascope init" in result.output
