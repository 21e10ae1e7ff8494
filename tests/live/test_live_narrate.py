"""Optional LLM narration against a local fake OpenAI-compatible server: the prompt holds only the stored
analysis JSON, the prose is stored beside it and labelled, and failures are one clear sentence that leave
the analysis untouched."""

from __future__ import annotations

import json

import pytest
from live_replay import LiveReplay, MakeSettings, Reply, table_digest
from typer.testing import CliRunner

from rotascope.agents import universe_analysis
from rotascope.cli import app
from rotascope.config import Settings, config_hash
from rotascope.errors import ConfigError
from rotascope.live.command import register
from rotascope.live.narrate import SYSTEM_PROMPT, label, narrate
from rotascope.monitor.run import Monitor
from rotascope.providers.errors import BadResponse, SourceUnavailable
from rotascope.records import Analysis
from rotascope.store.analyses import save_analysis
from rotascope.store.db import open_store
from rotascope.store.live import latest_narrations

PROSE = "Small caps reached ladder level 3; the inflation killer is live. [Not advice.]"
ROUTE = "/v1/chat/completions"


@pytest.fixture(scope="session")
def analysis(monitor: Monitor, loaded_settings: Settings) -> Analysis:
    return universe_analysis(monitor, monitor.at(None), config_hash(loaded_settings))


def completion(text: str) -> bytes:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
        }
    ).encode()


def stored(settings: Settings, analysis: Analysis) -> None:
    store = open_store(settings, write=True)
    try:
        save_analysis(store, analysis)
    finally:
        store.close()


def test_prompt_is_only_the_evidence_and_the_output_is_stored_and_labelled(
    replay: LiveReplay, make_settings: MakeSettings, analysis: Analysis
) -> None:
    replay.script(ROUTE, Reply(200, completion(PROSE), {"Content-Type": "application/json"}))
    settings = make_settings(llm_base_url=f"{replay.url}/v1", llm_model="tiny-test", llm_api_key="sk-secret")
    stored(settings, analysis)
    before = table_digest(settings.db, "analyses")
    result = narrate(settings, analysis.id[:8])
    (request,) = [r for r in replay.requests if r.method == "POST"]
    body = json.loads(request.body)
    assert body["model"] == "tiny-test"
    assert body["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": analysis.to_json()},  # the stored analysis JSON, nothing else
    ]
    assert json.loads(body["messages"][1]["content"]) == json.loads(analysis.to_json())
    assert request.headers["authorization"] == "Bearer sk-secret"
    assert result.row.text == PROSE and result.row.model == "tiny-test"
    store = open_store(settings)
    try:
        (row,) = latest_narrations(store, analysis.id)
    finally:
        store.close()
    assert row.text == PROSE
    assert table_digest(settings.db, "analyses") == before  # the analysis row is never touched
    assert label("tiny-test") == (
        "LLM narration (model tiny-test) — generated prose over the evidence above; not part of the analysis"
    )
    assert "sk-secret" not in repr(settings) and settings.public()["llm_api_key"] == "***"


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply(500, b"boom"), SourceUnavailable, "answered HTTP 500"),
        (Reply(200, b'{"choices": []}'), BadResponse, "without choices[0].message.content"),
        (Reply(200, b"not json"), BadResponse, "without choices[0].message.content"),
        (Reply(200, completion(""), delay=1.5), SourceUnavailable, "did not answer within 0.5 s"),
    ],
)
def test_endpoint_failures_are_clear_and_store_nothing(
    replay: LiveReplay,
    make_settings: MakeSettings,
    analysis: Analysis,
    reply: Reply,
    error: type[Exception],
    message: str,
) -> None:
    replay.script(ROUTE, reply)
    settings = make_settings(llm_base_url=f"{replay.url}/v1", llm_model="tiny-test")
    stored(settings, analysis)
    before = table_digest(settings.db, "analyses")
    with pytest.raises(error, match="no narration was stored and the analysis is unchanged") as info:
        narrate(settings, analysis.id)
    assert message in str(info.value)
    assert table_digest(settings.db, "analyses") == before
    assert table_digest(settings.db, "narrations")[0] == 0


def test_off_by_default_and_down_endpoint_via_the_cli(
    make_settings: MakeSettings, analysis: Analysis
) -> None:
    register(app)
    settings = make_settings()
    stored(settings, analysis)
    with pytest.raises(ConfigError, match="LLM narration is off: set llm_base_url"):
        narrate(settings, analysis.id)
    runner = CliRunner()
    env = {
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "ROTASCOPE_LLM_MODEL": "tiny-test",
        "ROTASCOPE_LLM_API_KEY": "sk-never-shown",
    }
    result = runner.invoke(app, ["narrate", analysis.id], env=env)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: The LLM endpoint http://127.0.0.1:9/v1 could not be reached (ConnectError); "
        "no narration was stored and the analysis is unchanged."
    )
    assert "sk-never-shown" not in result.stdout + result.stderr
    unknown = runner.invoke(app, ["narrate", "zzzz"], env=env)
    assert unknown.exit_code == 1 and "No stored analysis with id 'zzzz'" in unknown.stderr


def test_cli_prints_the_analysis_then_the_labelled_narration(
    replay: LiveReplay, make_settings: MakeSettings, analysis: Analysis
) -> None:
    register(app)
    replay.script(ROUTE, Reply(200, completion(PROSE)))
    settings = make_settings()
    stored(settings, analysis)
    env = {
        "ROTASCOPE_HOME": str(settings.home),
        "ROTASCOPE_LLM_BASE_URL": f"{replay.url}/v1",
        "ROTASCOPE_LLM_MODEL": "tiny-test",
    }
    result = CliRunner().invoke(app, ["narrate", analysis.id], env=env)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert (
        out.index(f"analysis {analysis.id}") < out.index("LLM narration (model tiny-test)") < out.index(PROSE)
    )
