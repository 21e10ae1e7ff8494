"""The real CLI: happy paths, every bad input of the foundation issue, and the atomic load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.config import Settings
from storecopy import private_home

runner = CliRunner()
RS = [sys.executable, "-m", "rotascope"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RS, *args], env=env, capture_output=True, text=True, timeout=300)


def one_clear_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    message = result.stderr.strip()
    assert message.startswith("Error:"), message
    assert len(message.splitlines()) == 1, message
    return message


def test_monitor_table_names_date_and_source(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["monitor", "--as-of", "2024-07-19"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "as of 2024-07-19" in result.output and "source: bundled" in result.output
    assert "IWM/SPY" in result.output and "+3.77%" in result.output  # 1w, checked by hand in test_relative
    assert "Evidence ladder: level" in result.output and "Rotation killers" in result.output
    assert "Survivorship bias" in result.output and "not investment advice" in result.output


def test_monitor_json_is_stable(cli_env: dict[str, str]) -> None:
    a = runner.invoke(app, ["monitor", "--as-of", "2020-03-20", "--format", "json"], env=cli_env)
    b = runner.invoke(app, ["monitor", "--as-of", "2020-03-20", "--format", "json"], env=cli_env)
    assert a.exit_code == 0 and a.stdout == b.stdout
    payload = json.loads(a.stdout)
    assert payload["as_of"] == "2020-03-20"
    assert {r["pair"] for r in payload["snapshot"]["pairs"]} >= {"IWM/SPY", "RSP/SPY", "IWN/IWO", "KRE/SPY"}
    assert len(payload["regime"]["ladder"]["levels"]) == 5


def test_monitor_as_of_on_a_holiday_uses_the_previous_trading_day(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["monitor", "--as-of", "2024-07-04", "-f", "json"], env=cli_env)
    assert json.loads(result.stdout)["as_of"] == "2024-07-03"


def test_data_status_and_show(cli_env: dict[str, str]) -> None:
    status = runner.invoke(app, ["data", "status", "-f", "json"], env=cli_env)
    assert status.exit_code == 0
    payload = json.loads(status.stdout)
    kinds = {s["kind"]: s for s in payload["summary"]}
    assert kinds["stock"]["items"] == 2598
    assert any(i["item"] == "hy_oas" and i["stale"] for i in payload["items"])
    show = runner.invoke(
        app,
        ["data", "show", "iwm", "--start", "2024-07-18", "--end", "2024-07-19", "-f", "json"],
        env=cli_env,
    )
    rows = json.loads(show.stdout)["rows"]
    assert [round(r["close"], 4) for r in rows] == [213.27, 212.1838]
    series = runner.invoke(
        app, ["data", "show", "HY_OAS", "--start", "2020-03-23", "--end", "2020-03-23"], env=cli_env
    )
    assert series.exit_code == 0 and "10.8700" in series.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["data", "show", "NOSUCH"], "Unknown symbol or series 'NOSUCH'"),
        (
            ["data", "show", "SPY", "--start", "1980-01-01", "--end", "1985-01-01"],
            "stored range is 1993-01-29",
        ),
        (["data", "show", "SPY", "--start", "2020-02-01", "--end", "2020-01-01"], "is after --end"),
        (["monitor", "--as-of", "2031-01-02"], "after the last stored date 2026-07-01"),
        (["monitor", "--as-of", "1993-03-01"], "too early"),
        (["monitor", "--as-of", "last tuesday"], "--as-of must be a date like"),
        (["monitor", "--as-of", "2024-02-30"], "--as-of must be a date like"),
    ],
)
def test_bad_input_is_one_clear_sentence(cli_env: dict[str, str], args: list[str], needle: str) -> None:
    message = one_clear_sentence(run(cli_env, *args))
    assert needle in message


def test_bad_format_is_a_usage_error(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "monitor", "--format", "xml")
    assert (
        result.returncode == 2 and "Traceback" not in result.stderr and "'table' or 'json'" in result.stderr
    )


def test_missing_store(tmp_path: Path) -> None:
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path / "nothing-here")}
    message = one_clear_sentence(run(env, "monitor"))
    assert "run `rotascope init` first" in message


def test_corrupt_store_is_reported_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "rotascope.duckdb"
    db.write_bytes(b"this is not a database" * 1000)
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path)}
    for args in (("monitor",), ("data", "status"), ("init",)):
        message = one_clear_sentence(run(env, *args))
        assert "corrupt" in message
    assert db.read_bytes() == b"this is not a database" * 1000  # nothing lost: the file is left for the user


def test_bad_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("stale_days = 'soon'\n")
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path)}
    assert "stale_days" in one_clear_sentence(run(env, "data", "status"))
    (tmp_path / "config.toml").write_text("nonsense = 1\n")
    assert "unknown setting" in one_clear_sentence(run(env, "data", "status"))
    (tmp_path / "config.toml").write_text("[[[\n")
    assert "not valid TOML" in one_clear_sentence(run(env, "data", "status"))


@pytest.fixture()
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder that cannot be written: a read-only tmpfs as root (root ignores mode bits), else chmod 555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "old-store").mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount_read_only(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)


def test_read_only_data_dir(read_only_dir: Path, loaded_settings: Settings) -> None:
    store_dir = private_home(loaded_settings, read_only_dir / "store")
    remount_read_only(read_only_dir)
    # a new home inside a read-only folder: init refuses in one sentence
    env = {**os.environ, "ROTASCOPE_HOME": str(read_only_dir / "home")}
    message = one_clear_sentence(run(env, "init"))
    assert "Cannot" in message and str(read_only_dir) in message
    # an existing store on a read-only disk: reading still works, writing is refused, nothing is lost
    env = {**os.environ, "ROTASCOPE_HOME": str(store_dir)}
    assert run(env, "monitor", "--as-of", "2024-07-19").returncode == 0
    assert "Cannot write" in one_clear_sentence(run(env, "init", "--force"))
    assert run(env, "data", "status").returncode == 0


def kill_during_big_insert(env: dict[str, str], *args: str) -> None:
    """Start `rotascope init`, wait until it inserts the 11.7 M member bars, then SIGKILL it."""
    with subprocess.Popen(
        [*RS, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "bars 2/2" in line:
                time.sleep(0.3)  # the insert takes ~2 s: we are inside the transaction
                break
        assert proc.poll() is None, f"init ended before it could be killed: {seen}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert "committing" not in "".join(seen)


@pytest.mark.slow
def test_kill_during_init_leaves_previous_state_usable(loaded_settings: Settings, tmp_path: Path) -> None:
    home = private_home(loaded_settings, tmp_path / "home")
    env = {**os.environ, "ROTASCOPE_HOME": str(home)}
    assert run(env, "init").returncode == 0  # the copy lacks the headline sample `init` loads: a whole store
    before = json.loads(run(env, "data", "status", "-f", "json").stdout)["summary"]
    # a forced reload deletes and re-inserts everything inside one transaction: kill it in the middle
    kill_during_big_insert(env, "init", "--force")
    after = run(env, "data", "status", "-f", "json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["summary"] == before
    monitor = run(env, "monitor", "--as-of", "2024-07-19", "-f", "json")
    assert monitor.returncode == 0 and "IWM/SPY" in monitor.stdout


@pytest.mark.slow
def test_kill_during_first_init_then_init_again(tmp_path: Path) -> None:
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path)}
    kill_during_big_insert(env, "init")
    message = one_clear_sentence(run(env, "monitor"))
    assert "rotascope init" in message
    again = run(env, "init")
    assert again.returncode == 0, again.stderr
    assert run(env, "monitor").returncode == 0


def test_analyze_debate_history_through_the_cli(cli_env: dict[str, str]) -> None:
    a = runner.invoke(app, ["analyze", "--as-of", "2023-03-17", "-f", "json"], env=cli_env)
    assert a.exit_code == 0, a.output
    analysis = json.loads(a.stdout)
    assert analysis["kind"] == "universe" and analysis["as_of"] == "2023-03-17"
    assert abs(sum(s["probability"] for s in analysis["decision"]["scenarios"]) - 1) < 1e-9
    d = runner.invoke(app, ["debate", "krt", "--as-of", "2024-07-19"], env=cli_env)
    assert d.exit_code == 0 and "KRT" in d.output and "Debate round 1" in d.output
    h = runner.invoke(app, ["history", "-f", "json"], env=cli_env)
    ids = {row["id"] for row in json.loads(h.stdout)}
    assert analysis["id"] in ids


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["debate", "SPY"], "is the benchmark"),
        (["debate", "VIX"], "not a tradable stock or ETF"),
        (["debate", "NOPE"], "Unknown symbol 'NOPE'"),
        (["analyze", "--as-of", "1999-02-30"], "--as-of must be a date like"),
    ],
)
def test_analysis_bad_input(cli_env: dict[str, str], args: list[str], needle: str) -> None:
    assert needle in one_clear_sentence(run(cli_env, *args))


def test_init_again_is_a_no_op(loaded_settings: Settings, tmp_path: Path) -> None:
    private_home(loaded_settings, tmp_path)
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path)}
    assert run(env, "init").returncode == 0  # the copy lacks the headline sample `init` loads: a whole store
    before = (tmp_path / "rotascope.duckdb").read_bytes()
    result = run(env, "init")
    assert result.returncode == 0 and "already up to date" in result.stdout
    assert (tmp_path / "rotascope.duckdb").read_bytes() == before  # nothing rewritten


def test_debate_writes_a_report(cli_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "krt.html"
    result = run(cli_env, "debate", "KRT", "--as-of", "2024-07-19", "--report", str(target))
    assert result.returncode == 0, result.stderr
    html = target.read_text()
    assert "KRT" in html and "2024-07-19" in html and "not investment advice" in html
    bad = run(cli_env, "debate", "KRT", "--report", str(tmp_path / "missing" / "x.html"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--as-of", "2024-13-01"], "--as-of must be a date like"),
        (["--as-of", ""], "--as-of must be a date like"),
        (["--as-of", "2099-01-02"], "after the last stored date"),
        (["--as-of", "1996-01-05"], "No calibrated week on or before 1996-01-05; the first is 2000-"),
        (["--horizon", "7"], "Horizon 7 weeks is not calibrated; choose one of 4, 13 weeks."),
        (["--horizon", "0"], "Horizon 0 weeks is not calibrated"),
        (["--out", "{file}"], "it is a file, not a folder"),
        (["--out", "{file}/sub"], "Cannot write the review to"),
    ],
)
def test_review_bad_input(cli_env: dict[str, str], tmp_path: Path, args: list[str], needle: str) -> None:
    """`rotascope review`: each bad input is one sentence and exit code 1 (a RotascopeError), and nothing
    is written."""
    file = tmp_path / "a-file"
    file.write_text("keep me")
    argv = [a.replace("{file}", str(file)) for a in args]
    result = run(cli_env, "review", *argv)
    assert result.returncode == 1
    assert needle in one_clear_sentence(result)
    assert file.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [file]


def test_review_bad_option_type_is_a_usage_error(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "review", "--horizon", "thirteen")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'--horizon'" in result.stderr and "integer" in result.stderr
