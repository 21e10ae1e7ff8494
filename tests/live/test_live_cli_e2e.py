"""Issue #13 end to end, through the real CLI in subprocesses against the local replay server: the FRED key
never reaches the output or the update log when FRED's error text echoes the query; `rotascope serve`
answers GETs while a real `rotascope update` writes; `rotascope watch` reports a transient failure (the store
held by another writer) and the next cycle works; a 50 MB LLM reply to `rotascope narrate` is refused in
one sentence, and a large one with terminal escapes is capped and cleaned before it is printed or stored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from live_replay import LiveReplay, Reply, fredgraph_csv, recording, script_all_fred, table_digest

from realserver import rotascope_serve
from rotascope.agents import universe_analysis
from rotascope.config import Settings, config_hash, load_settings
from rotascope.live.narrate import MAX_NARRATION_BYTES, MAX_REPLY_BYTES
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis
from rotascope.store.analyses import save_analysis
from rotascope.store.db import open_store

EXE = str(Path(sys.executable).with_name("rotascope"))
KEY = "f00dcafe0123456789abcdefPLANTED9"
"""A planted FRED API key: the replay server echoes it back in its error text."""
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\n\t"} | {"\x7f"}


def cli_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a rotascope subprocess on ``home``, settings as ROTASCOPE_* variables."""
    env = {**os.environ, "ROTASCOPE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.update({f"ROTASCOPE_{k.upper()}": v for k, v in settings.items()})
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


# ------------------------------------------------------------------------------------------- FRED key
def test_update_never_prints_or_logs_the_fred_key(replay: LiveReplay, store_copy: Path) -> None:
    echoed = f"/fred/series/observations?series_id=X&api_key={KEY}&file_type=json"

    def fred_error(message: str) -> bytes:
        return json.dumps({"error_code": 400, "error_message": message}).encode()

    replay.script(
        "/fred/series/observations",
        Reply(400, fred_error(f"Bad Request. The series does not exist. Request: {echoed}")),
        Reply(500, f"Internal Server Error while serving {echoed} (key {KEY})".encode()),
        Reply(
            400, fred_error(f"Bad Request. The value {KEY} for variable api_key is not registered. {echoed}")
        ),
    )
    env = cli_env(
        store_copy, fred_api_key=KEY, fred_api_base_url=replay.url, http_retries="0", http_timeout="5"
    )
    result = cli(env, "update", "--source", "fred")

    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert any(r.query.get("api_key") == [KEY] for r in replay.requests)  # the key was sent, and echoed
    shown = result.stdout + result.stderr
    assert KEY not in shown
    assert "does not exist" in shown and "refused the API key" in shown and "***" in shown
    logged = [
        str(m)
        for (m,) in query(
            store_copy / "rotascope.duckdb", "SELECT message FROM update_log WHERE source = 'fred'"
        )
    ]
    assert len(logged) >= 3 and not [m for m in logged if KEY in m]
    assert any("***" in m for m in logged)


# ------------------------------------------------------------------------------------- serve + update
@pytest.fixture()
def served(store_copy: Path, loaded_settings: Settings) -> Iterator[str]:
    """`rotascope serve` (uvicorn, a free loopback port) on the store copy; its base URL once it answers."""
    cache = loaded_settings.home / "cache"
    if cache.is_dir():  # the session's calibration for the same data, if another test built it: faster
        shutil.copytree(cache, store_copy / "cache", dirs_exist_ok=True)
    with rotascope_serve(cli_env(store_copy, web_refresh_seconds="0.5"), start_timeout=600) as base:
        yield base


def test_web_reads_are_answered_while_update_writes(
    replay: LiveReplay, store_copy: Path, served: str
) -> None:
    slow = 0.3  # every reply waits: the update runs for seconds, one short write window per item
    for symbol in ("SPY", "IWM"):
        replay.script(
            f"/v8/finance/chart/{symbol}", Reply(200, recording(f"yahoo/{symbol}_live.json"), delay=slow)
        )
    script_all_fred(replay)
    rows = [("2026-07-24", "-0.48"), ("2026-07-31", "-0.47"), ("2026-08-07", "-0.46")]  # stored to 07-24
    replay.script("/graph/fredgraph.csv?id=NFCI", Reply(200, fredgraph_csv("NFCI", rows)))
    for route in list(replay.routes):
        replay.routes[route] = [Reply(r.status, r.body, r.headers, slow) for r in replay.routes[route]]
    before = httpx.get(f"{served}/api/health", timeout=30).json()["data_fingerprint"]
    env = cli_env(
        store_copy,
        yahoo_base_url=replay.url,
        yahoo_transport="httpx",  # about store locking, not the transport (test_update_faults.py is)
        fred_base_url=replay.url,
        http_retries="0",
        yahoo_max_per_second="1000",
        store_lock_wait="60",  # the writer waits out the server's reads (a monitor rebuild reads for seconds)
    )
    paths = ("/api/health", "/api/monitor", "/api/history", "/api/charts?lookback=63")
    answers: list[tuple[str, int]] = []
    with (
        subprocess.Popen(
            [EXE, "update", "--source", "yahoo,fred", "--symbols", "SPY,IWM"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as update,
        httpx.Client(base_url=served, timeout=300) as web,
    ):
        while update.poll() is None:
            for path in paths:
                answers.append((path, web.get(path).status_code))
        out, err = update.communicate()
    assert update.returncode == 0, out + err
    assert "Update finished" in out
    assert len(answers) >= len(paths) and {code for _, code in answers} == {200}, answers
    time.sleep(1.0)  # the server re-reads the fingerprint every 0.5 s
    httpx.get(f"{served}/api/monitor", timeout=600).raise_for_status()
    after = httpx.get(f"{served}/api/health", timeout=30).json()["data_fingerprint"]
    assert after != before  # the update's data is served without a restart


# ------------------------------------------------------------------------------------------------- watch
def test_watch_reports_a_locked_store_and_the_next_cycle_works(
    replay: LiveReplay, store_copy: Path, loaded_settings: Settings
) -> None:
    cache = loaded_settings.home / "cache"
    if cache.is_dir():
        shutil.copytree(cache, store_copy / "cache", dirs_exist_ok=True)
    db = store_copy / "rotascope.duckdb"
    before = query(db, "SELECT count(*) FROM analyses")[0][0]
    env = cli_env(
        store_copy,
        store_lock_wait="1",
        http_retries="0",
        yahoo_base_url=replay.url,  # nothing scripted: every item fails fast (404), data stays as stored
        yahoo_transport="httpx",
        fred_base_url=replay.url,
        ishares_base_url=replay.url,
        update_symbols="etfs",
    )
    holder_code = (
        f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
        "sys.stdin.readline()"
    )
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", holder_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with subprocess.Popen(
            [EXE, "watch", "--every", "3s", "--iterations", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as watch:
            assert watch.stdout is not None
            reader = threading.Thread(target=lambda: lines.extend(watch.stdout or ()), daemon=True)
            reader.start()
            deadline = time.monotonic() + 120
            while not any("Analysis failed this iteration" in line for line in lines):
                assert watch.poll() is None and time.monotonic() < deadline, lines
                time.sleep(0.05)
            holder.communicate("\n", timeout=30)  # the other writer goes away before the next cycle
            watch.wait(timeout=900)
            reader.join(timeout=30)
    text = "".join(lines)
    # every update item failed and the data is months old: the watch says so and exits 1 (issue #22)
    assert watch.returncode == 1, text
    first, second = text.split("[watch 2/2]")
    assert "ALERT No source could be refreshed" in second and "ALERT The data is stale" in second
    assert "Update failed, analysing the cached data: The store" in first and "stayed in use" in first
    assert "Analysis failed this iteration, will retry" in first
    assert "FAILED Yahoo Finance" in second  # the update ran and reported its failures
    assert "Analysis " in second and "ladder level" in second and "will retry" not in second
    assert query(db, "SELECT count(*) FROM analyses")[0][0] == before + 1


# ----------------------------------------------------------------------------------------------- narrate
@pytest.fixture(scope="module")
def stored_analysis(monitor: Monitor, loaded_settings: Settings) -> Analysis:
    return universe_analysis(monitor, monitor.at(None), config_hash(loaded_settings))


def completion(text: str) -> bytes:
    message = {"role": "assistant", "content": text}
    return json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}).encode()


def test_narrate_refuses_a_huge_reply_and_caps_and_cleans_a_large_one(
    replay: LiveReplay, store_copy: Path, stored_analysis: Analysis
) -> None:
    settings = load_settings({"home": str(store_copy)}, env={})
    store = open_store(settings, write=True)
    try:
        save_analysis(store, stored_analysis)
    finally:
        store.close()
    hostile = "Small caps lead.\x1b[2J\x1b]0;pwned\x07\x00\x08\r" + "ladder level 3; " * 8
    huge = completion(hostile * (50 * 1024 * 1024 // len(hostile)))
    large = completion(hostile * (MAX_REPLY_BYTES // 2 // len(hostile)))
    assert len(huge) > 50 * 1024 * 1024 and MAX_NARRATION_BYTES < len(large) < MAX_REPLY_BYTES
    route = "/v1/chat/completions"
    replay.script(route, Reply(200, huge), Reply(200, large))
    env = cli_env(store_copy, llm_base_url=f"{replay.url}/v1", llm_model="tiny-test", http_timeout="60")
    db = store_copy / "rotascope.duckdb"

    refused = cli(env, "narrate", stored_analysis.id)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "sent a reply larger than 2,097,152 bytes; no narration was stored" in " ".join(
        refused.stderr.split()
    )
    assert len(refused.stdout) + len(refused.stderr) < 10_000
    assert table_digest(db, "narrations")[0] == 0  # nothing stored (the table may not even exist yet)

    capped = cli(env, "narrate", stored_analysis.id)
    assert capped.returncode == 0, capped.stderr
    narration = capped.stdout.split("LLM narration (model tiny-test)", 1)[1]
    assert "Small caps lead." in narration and not CONTROL & set(capped.stdout)
    assert len(narration.encode()) <= MAX_NARRATION_BYTES + 1024  # the label's line and rich's line ends
    ((text, size),) = query(db, "SELECT text, strlen(text) FROM narrations")
    assert isinstance(text, str) and isinstance(size, int)
    assert size <= MAX_NARRATION_BYTES and not CONTROL & set(text) and text.startswith("Small caps lead.")
