"""One analysis, whichever door: the CLI and the web API give the same analysis for the same question,
including a store that holds SEC fundamentals and dated headlines (the inputs only the CLI used to load),
and say the same about how old the data is (today pinned with ``ROTASCOPE_TODAY``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.config import Settings, load_settings
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.store.db import open_store
from rotascope.store.live import NewsRow, ensure_live_schema, insert_news, item_transaction
from storecopy import private_home
from test_fundamentals_agent import facts_frame
from webclient import TODAY, fresh_dict, make_client

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

AS_OF = "2024-07-19"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both doors read the same clock: the data's age is the same whichever day the tests run."""
    monkeypatch.setenv("ROTASCOPE_TODAY", TODAY.isoformat())


@pytest.fixture(scope="module")
def rich_settings(
    monitor: Monitor, loaded_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A copy of the store with SEC facts for 40 members and headlines in the week to the as-of."""
    home = private_home(loaded_settings, tmp_path_factory.mktemp("rich"))
    settings = load_settings({"home": str(home)}, env={})
    members = list(monitor.panel.data.members.symbols[:40])
    store = open_store(settings, write=True)
    try:
        ensure_live_schema(store)
        store.conn.register("f", facts_frame(members))
        store.conn.execute("INSERT INTO fundamentals SELECT * FROM f")
        store.conn.unregister("f")
        when = datetime(2024, 7, 17, 14, tzinfo=UTC)
        rows = [
            NewsRow(
                "n1", "Small caps surge as profits improve and gains broaden", "t", when, when, "", (), 0.0
            ),
            NewsRow("n2", "SAIA beats estimates; strong growth", "t", when, when, "", ("SAIA",), 0.0),
            NewsRow("n3", "Regional banks slump on losses", "t", when, when, "", ("KRE",), 0.0),
        ]
        with item_transaction(store) as conn:
            insert_news(conn, rows)
    finally:
        store.close()
    return settings


def cli_json(settings: Settings, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["--home", str(settings.home), *args, "--as-of", AS_OF, "-f", "json", "--no-save"]
    )
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def expected_freshness(settings: Settings) -> dict[str, Any]:
    """The freshness fields worked out here: the last session on which IWM, SPY and the ladder's series are
    all stored (the store's last complete session), its age in days before TODAY, against stale_days."""
    store = open_store(settings)
    try:
        last = store.conn.execute(
            "SELECT max(date) FROM bars WHERE symbol = 'IWM' AND date IN "
            "(SELECT date FROM bars WHERE symbol = 'SPY')"
        ).fetchall()[0][0]
    finally:
        store.close()
    return fresh_dict(last, settings)


@pytest.fixture(scope="module")
def client(rich_settings: Settings) -> Iterator[TestClient]:
    store = open_store(rich_settings)
    try:
        monitor = build_monitor(store, rich_settings)  # the store's own data (its fingerprint moved)
    finally:
        store.close()
    with make_client(rich_settings, monitor) as c:
        yield c


def test_universe_analysis_is_the_same_from_the_cli_and_the_web(
    rich_settings: Settings, client: TestClient
) -> None:
    cli = cli_json(rich_settings, "analyze")
    web = client.get("/api/analysis", params={"as_of": AS_OF})
    assert web.status_code == 200, web.text
    assert web.json() == cli  # the analysis and the data's freshness alike
    fresh = expected_freshness(rich_settings)
    assert {key: cli[key] for key in fresh} == fresh
    assert cli["stale"] is True and cli["data_age_days"] > 100  # the embedded data ends in 2026-07
    ops = {o["agent"]: o for o in cli["opinions"]}
    assert "SEC EDGAR" in ops["fundamentals"]["data_note"]  # the stored facts reached the agent
    assert ops["sentiment"]["claims"], "the stored headlines reached the sentiment agent"


@pytest.mark.parametrize(("symbol", "kind"), [("SAIA", "stock"), ("KRE", "regime"), ("IWN", "regime")])
def test_single_name_debates_are_the_same_from_the_cli_and_the_web(
    rich_settings: Settings, client: TestClient, symbol: str, kind: str
) -> None:
    cli = cli_json(rich_settings, "debate", symbol)
    web = client.get(f"/api/debate/{symbol}", params={"as_of": AS_OF})
    assert web.status_code == 200, web.text
    assert web.json() == cli
    assert cli["kind"] == kind and cli["subject"] == symbol
    fresh = expected_freshness(rich_settings)
    assert {key: web.json()[key] for key in fresh} == fresh


def test_bad_symbols_get_one_sentence_and_nothing_is_stored(
    rich_settings: Settings, client: TestClient
) -> None:
    for symbol, needle in (
        ("NOPE", "Unknown symbol"),
        ("SPY", "is the benchmark"),
        ("VIX", "not a tradable"),
    ):
        result = CliRunner().invoke(app, ["--home", str(rich_settings.home), "debate", symbol])
        assert result.exit_code == 1 and needle in result.output
        assert client.get(f"/api/debate/{symbol}").status_code in (404, 422)
    store = open_store(rich_settings)
    try:
        assert store.conn.execute("SELECT count(*) FROM analyses").fetchall()[0][0] == 0
    finally:
        store.close()


def test_regime_etf_atr_is_wilder_from_stored_highs_and_lows(
    monitor: Monitor, loaded_settings: Settings
) -> None:
    """IWM on 2024-07-19: Wilder ATR-14 of the true range from stored OHLC (TA-Lib as the reference); IWM
    debated against SPY also carries the universe's base rates (the same pair, the same size prior)."""
    import talib

    from rotascope.analysis.service import Analyst

    store = open_store(loaded_settings)
    try:
        analyst = Analyst(store, loaded_settings, monitor)
        a = analyst.single("IWM", analyst.session(date(2024, 7, 19)))
        bars = store.bars("IWM", None, date(2024, 7, 19))
    finally:
        store.close()
    ref = talib.ATR(bars.high.to_numpy(), bars.low.to_numpy(), bars.close.to_numpy(), 14)[-1]
    assert a.decision.risk is not None and a.decision.risk.atr_method == "wilder_true_range_14"
    assert a.decision.risk.atr == pytest.approx(ref, rel=0.01)
    assert ref == pytest.approx(3.74, abs=0.01)
    universe = Analyst(open_store(loaded_settings), loaded_settings, monitor)
    try:
        u = universe.universe(universe.session(date(2024, 7, 19)))
    finally:
        universe.store.close()
    assert u.decision.risk is not None and u.decision.risk.atr == pytest.approx(ref, rel=0.01)
    assert a.decision.calibration is not None and a.decision.calibration == u.decision.calibration
    assert "size factor" in a.decision.calibration.base_rate_source


def _scenario_probs(analysis: dict[str, Any]) -> dict[str, float]:
    return {s["name"]: s["probability"] for s in analysis["decision"]["scenarios"]}


def _report_numbers(text: str) -> tuple[dict[str, float], float]:
    """The scenario probabilities and the satellite tilt as the Markdown report prints them."""
    probs = {
        m.group(1): int(m.group(2)) / 100
        for m in re.finditer(r"^\| (bull|base|bear) \| (\d+)% \|", text, flags=re.MULTILINE)
    }
    tilt = re.search(r"^\| satellite tilt \| ([+-]\d+\.\d)% of equity \|", text, flags=re.MULTILINE)
    assert tilt is not None and len(probs) == 3, text[:2000]
    return probs, float(tilt.group(1)) / 100


def test_debate_iwm_is_the_universe_question_by_every_door(
    rich_settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    """IWM vs SPY is the universe question: `debate IWM` gives the universe analysis's calibrated
    probabilities, stance, direction, mode, tilt and risk (from the CLI, the web API and the report), says
    so in one line, and never calls IWM one stock."""
    from rotascope.analysis.service import UNIVERSE_QUESTION

    universe = cli_json(rich_settings, "analyze")
    debate = cli_json(rich_settings, "debate", "IWM")
    assert debate["kind"] == "regime" and debate["subject"] == "IWM" and debate["id"] != universe["id"]
    u, d = universe["decision"], debate["decision"]
    for name, p in _scenario_probs(universe).items():
        assert _scenario_probs(debate)[name] == pytest.approx(p, abs=0.005)
    for key in ("direction", "stance", "mode", "tilt", "conviction", "calibration", "risk"):
        assert d[key] == u[key], key
    assert d["rationale"] == [UNIVERSE_QUESTION, *u["rationale"]]
    assert d["base_rates"] is None  # the calibrated call, not the uncalibrated single-name view
    assert "one stock" not in json.dumps(debate)
    web = client.get("/api/debate/IWM", params={"as_of": AS_OF})
    assert web.status_code == 200, web.text
    assert web.json() == debate
    out = tmp_path / "iwm.md"
    args = ["report", "--as-of", AS_OF, "--symbol", "IWM", "-f", "md", "-o", str(out)]
    result = CliRunner().invoke(app, ["--home", str(rich_settings.home), *args])
    assert result.exit_code == 0, result.output
    probs, tilt = _report_numbers(out.read_text())
    assert probs == pytest.approx(_scenario_probs(universe), abs=0.005)
    assert tilt == pytest.approx(u["tilt"], abs=0.0005)
    assert UNIVERSE_QUESTION in out.read_text()


@pytest.fixture
def resolutions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts how often the as-of is resolved (``Monitor.day``, which ``Monitor.at`` goes through too) and
    how often the clock is read for the data's age, while a test runs."""
    from rotascope.monitor import freshness

    counts = {"as_of": 0, "today": 0}
    resolve, clock = Monitor.day, freshness.clock_today

    def day(self: Monitor, as_of: date | None) -> date:
        counts["as_of"] += 1
        return resolve(self, as_of)

    def today(env: dict[str, str] | None = None) -> date:
        counts["today"] += 1
        return clock(env)

    monkeypatch.setattr(Monitor, "day", day)
    monkeypatch.setattr(freshness, "clock_today", today)
    return counts


@pytest.mark.parametrize(
    ("args", "path"),
    [(("analyze",), "/api/analysis"), (("debate", "SAIA"), "/api/debate/SAIA"), (("debate", "IWM"), None)],
)
def test_the_as_of_is_resolved_once_per_request(
    rich_settings: Settings,
    client: TestClient,
    resolutions: dict[str, int],
    args: tuple[str, ...],
    path: str | None,
) -> None:
    """One request, one resolved session: the stored-answer lookup, the analysis, the agents and the
    freshness line all take the session resolved at the door (``open_session``), none resolves the
    as-of or reads the clock again."""
    cli_json(rich_settings, *args)
    assert resolutions == {"as_of": 1, "today": 1}
    if path is not None:
        resolutions.update(as_of=0, today=0)
        web = client.get(path, params={"as_of": "2024-07-12"})  # a question not cached yet
        assert web.status_code == 200, web.text
        assert resolutions == {"as_of": 1, "today": 1}
