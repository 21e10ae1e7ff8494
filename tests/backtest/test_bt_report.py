"""Report: typed records, JSON, PNG charts and the self-contained HTML page, each with the caveat."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from rotascope.backtest.report import BacktestParams, BacktestRun, run_backtest, write_outputs
from rotascope.errors import DataError
from rotascope.monitor.run import Monitor, MonitorResult

PNG = b"\x89PNG\r\n\x1a\n"


def _agents(result: MonitorResult) -> Mapping[str, float]:
    """Stand-in for the agents: a stance score and a decision tilt from the ladder."""
    reached = result.regime.ladder.reached
    return {"stance_dummy": reached / 5.0, "decision_tilt": 1.0 if reached >= 1 else 0.0}


@pytest.fixture(scope="module")
def run(monitor: Monitor) -> BacktestRun:
    params = BacktestParams(start=date(2018, 1, 1), end=date(2021, 12, 31), horizons=[1, 4], cost_bps=5.0)
    return run_backtest(monitor, params, extra=_agents, tilt="decision_tilt")


def test_result_record(run: BacktestRun) -> None:
    r = run.result
    assert r.start == date(2018, 1, 5) and r.end == date(2021, 12, 31) and r.weeks == 209
    assert r.params.extra == ["decision_tilt", "stance_dummy"]
    assert [s.name for s in r.strategies] == ["trend_pair", "breadth_trigger", "decision_tilt"]
    assert [s.name for s in r.benchmarks] == ["hold_SPY", "hold_IWM"]
    assert {s.signal for s in r.attribution.stats} >= {"ladder_reached", "stance_dummy", "killer_inflation"}
    assert any("Survivorship" in c for c in r.caveats)
    payload = json.loads(r.to_json())
    assert payload["attribution"]["horizons"] == [1, 4]


def test_deterministic_json(monitor: Monitor, run: BacktestRun) -> None:
    again = run_backtest(monitor, run.result.params, extra=_agents, tilt="decision_tilt")
    assert again.result.to_json() == run.result.to_json()


def test_outputs_written(run: BacktestRun, tmp_path: Path) -> None:
    paths = write_outputs(run, tmp_path / "out")
    names = {p.name for p in paths}
    assert names == {
        "backtest.json",
        "signals.csv",
        "signals.csv-metadata.json",
        "equity.png",
        "hit_rates.png",
        "backtest.html",
    }
    for p in paths:
        assert p.stat().st_size > 0
    for name in ("equity.png", "hit_rates.png"):
        data = (tmp_path / "out" / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000
    page = (tmp_path / "out" / "backtest.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "Survivorship bias" in page and "trend_pair" in page and "stance_dummy" in page
    csv = (tmp_path / "out" / "signals.csv").read_text()
    assert csv.startswith("as_of,") and "fwd_4w" in csv.splitlines()[0]  # plain CSV: notes in the sidecar
    assert "Survivorship bias" in (tmp_path / "out" / "signals.csv-metadata.json").read_text()
    assert "Survivorship bias" in (tmp_path / "out" / "backtest.json").read_text()


def test_unknown_tilt_and_empty_range(monitor: Monitor) -> None:
    params = BacktestParams(start=date(2024, 1, 1), end=date(2024, 3, 1), horizons=[1], cost_bps=0.0)
    with pytest.raises(DataError, match="decision tilt"):
        run_backtest(monitor, params, tilt="nope")
    empty = params.model_copy(update={"start": date(1990, 1, 1), "end": date(1990, 2, 1)})
    with pytest.raises(DataError, match="Fewer than two"):
        run_backtest(monitor, empty)
