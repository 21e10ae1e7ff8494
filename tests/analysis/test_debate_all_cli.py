"""`rotascope debate --all`: every Russell 2000 member ranked, through the real CLI; bad combinations."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

RS = [sys.executable, "-m", "rotascope"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RS, *args], env=env, capture_output=True, text=True, timeout=300)


def test_debate_all_json_and_table(cli_env: dict[str, str]) -> None:
    got = run(cli_env, "debate", "--all", "--as-of", "2025-11-28", "--top", "5", "-f", "json")
    assert got.returncode == 0, got.stderr
    ranked = json.loads(got.stdout)
    assert ranked["as_of"] == "2025-11-28" and ranked["benchmark"] == "IWM" and ranked["source"]
    assert ranked["data_as_of"] == "2026-07-01" and isinstance(ranked["stale"], bool)  # the data's age
    calls = ranked["calls"]
    assert len(calls) == 10
    expected = [c["expected_relative_return"] for c in calls]
    assert expected == sorted(expected, reverse=True)  # ranked by the calibrated expected relative return
    for c in calls:
        assert c["base_rates"] is not None and len(c["base_rates"]) == 3
        if c["model_weight"] == 0:  # no measured edge: the base rates, and no tilt
            assert c["tilt"] == "none" and [c["bear"], c["bull"]] == [
                round(c["base_rates"][0], 2),
                round(c["base_rates"][2], 2),
            ]
        assert set(c["scores"]) == {"fundamentals", "macro", "internals", "sentiment"}
        assert abs(c["bull"] + c["base"] + c["bear"] - 1) < 1e-9
    table = run(cli_env, "debate", "--all", "--as-of", "2025-11-28", "--top", "3")
    assert table.returncode == 0, table.stderr
    assert "as of 2025-11-28" in table.stdout and calls[0]["symbol"] in table.stdout
    assert "members debated" in table.stdout
    assert "the last complete session is 2026-07-01" in table.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["debate"], "Give one SYMBOL to debate, or --all"),
        (["debate", "KRT", "--all"], "Give one SYMBOL to debate, or --all"),
        (["debate", "--all", "--report", "x.html"], "does not combine with --all"),
    ],
)
def test_debate_all_bad_input_is_one_sentence(cli_env: dict[str, str], args: list[str], needle: str) -> None:
    result = run(cli_env, *args)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    message = result.stderr.strip()
    assert message.startswith("Error:") and len(message.splitlines()) == 1, message
    assert needle in message
