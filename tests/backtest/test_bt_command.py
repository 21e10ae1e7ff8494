"""`rotascope backtest` through the real Typer app (registered here until cli.py registers it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rotascope.backtest.command import register
from rotascope.backtest.store import list_backtests, load_backtest
from rotascope.config import Settings
from rotascope.store.db import open_store


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from rotascope.cli import app as cli_app

    if not any(c.name == "backtest" for c in cli_app.registered_commands):
        register(cli_app)
    return cli_app


@pytest.fixture()
def env(loaded_settings: Settings) -> dict[str, str]:
    return {"ROTASCOPE_HOME": str(loaded_settings.home)}


def test_json_run_writes_outputs_and_stores(
    app: typer.Typer, env: dict[str, str], loaded_settings: Settings, tmp_path: Path
) -> None:
    args = ["backtest", "--start", "2019-01-01", "--end", "2020-12-31", "--horizons", "1,4", "-f", "json"]
    res = CliRunner().invoke(app, [*args, "--cost-bps", "2", "--out", str(tmp_path)], env=env)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["start"] == "2019-01-04" and payload["params"]["cost_bps"] == 2.0
    assert any("Survivorship" in c for c in payload["caveats"])
    assert {p.name for p in tmp_path.iterdir()} >= {"backtest.html", "equity.png", "hit_rates.png"}
    with open_store(loaded_settings) as s:
        stored = list_backtests(s)
        newest = load_backtest(s, stored[0].id)
    assert stored[0].start.isoformat() == "2019-01-04"
    assert newest is not None and newest.to_json() == res.stdout  # stored as printed, read back typed


def test_table_run(app: typer.Typer, env: dict[str, str]) -> None:
    res = CliRunner().invoke(app, ["backtest", "--start", "2022-01-01", "--end", "2022-12-31"], env=env)
    assert res.exit_code == 0, res.output
    for text in (
        "Strategies vs buy-and-hold",
        "hold_SPY",
        "sorted by information",
        "Survivorship",
        "Stored as",
    ):
        assert text in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizons", "0,4"], "--horizons must be whole weeks from 1 to 520"),
        (["--horizons", "a"], "--horizons must be whole weeks"),
        (["--start", "2020-13-01"], "--start must be a date"),
        (["--start", "2021-01-01", "--end", "2020-01-01"], "is after --end"),
        (["--end", "1990-01-01"], "Fewer than two weekly as-of dates"),
        (["--cost-bps", "-1"], "must be a number from 0 to 1000 bps; got -1"),
    ],
)
def test_errors_are_one_sentence(
    app: typer.Typer, env: dict[str, str], args: list[str], message: str
) -> None:
    res = CliRunner().invoke(app, ["backtest", *args], env=env)
    assert res.exit_code == (2 if "--cost-bps" in args else 1)  # a range refused by the CLI: usage, exit 2
    assert message in " ".join(res.output.replace("│", " ").split())
    assert "Traceback" not in res.output
