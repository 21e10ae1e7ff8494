"""Issue #13 through real subprocesses: concurrent writers, bad input as one sentence (exit 1/2, store
unchanged), secrets never printed, --home precedence; plus the redaction and cache-pruning helpers."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

from rotascope.config import Settings
from rotascope.redact import clean_text, redact_url, scrub
from rotascope.store.cache import PanelCache
from rotascope.store.panel import Panel
from storecopy import private_home

EXE = [str(Path(sys.executable).with_name("rotascope"))]
SECRET = "hunter2-PLANTED-secret"


def run(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def analyses(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as conn:
        return int(conn.execute("SELECT count(*) FROM analyses").fetchall()[0][0])


@pytest.fixture()
def private(loaded_settings: Settings, tmp_path: Path) -> dict[str, str]:
    """Environment for a private, writable copy of the loaded store."""
    home = private_home(loaded_settings, tmp_path / "home")
    return {**os.environ, "ROTASCOPE_HOME": str(home)}


def one_sentence(result: subprocess.CompletedProcess[str], codes: tuple[int, ...] = (1, 2)) -> str:
    assert result.returncode in codes, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
    return result.stderr


@pytest.mark.slow
def test_five_concurrent_analyze_all_succeed(private: dict[str, str]) -> None:
    before = analyses(Path(private["ROTASCOPE_HOME"]) / "rotascope.duckdb")  # the copied store's rows
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [*EXE, "analyze", "-f", "json"],
            env=private,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [e for _, e in results]
    assert len({out for out, _ in results}) == 1  # same data + config: byte-identical analyses
    assert analyses(Path(private["ROTASCOPE_HOME"]) / "rotascope.duckdb") == before + 1
    print(f"five concurrent analyze: {time.monotonic() - started:.1f} s")


@contextlib.contextmanager
def writer_holding(db: Path, seconds: float) -> Iterator[None]:
    """Another process holding the store open for writing for ``seconds`` (then it exits by itself)."""
    code = (
        f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
        f"time.sleep({seconds})"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            yield
        finally:
            holder.kill()


def test_readers_wait_out_a_short_writer(private: dict[str, str]) -> None:
    db = Path(private["ROTASCOPE_HOME"]) / "rotascope.duckdb"
    with writer_holding(db, 3):
        status = run(["data", "status", "-f", "json"], private)
    assert status.returncode == 0, status.stderr


def test_a_writer_that_never_ends_is_one_sentence(private: dict[str, str]) -> None:
    db = Path(private["ROTASCOPE_HOME"]) / "rotascope.duckdb"
    with writer_holding(db, 20):
        result = run(["data", "status"], {**private, "ROTASCOPE_STORE_LOCK_WAIT": "1"})
    assert "stayed in use by another rotascope process for 1 s" in one_sentence(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["history", "--limit", "-1"], "--limit"),
        (["data", "show", "SPY", "--limit", "-5"], "--limit"),
        (["backtest", "--cost-bps", "nan"], "--cost-bps"),
        (["analyze", "--as-of", ""], "empty value"),
        (["monitor", "--as-of", ""], "empty value"),
        (["report", "--as-of", "", "-o", "x.html"], "empty value"),
        (["analyze", "--as-of", "x" * 500], "--as-of"),
        (["diff", "", ""], "hexadecimal"),
        (["diff", "%", "_"], "hexadecimal"),
        (["report", "-o", "/proc/x.html"], "/proc"),
        (["debate", "SPY", "--report", "/proc/x.html"], "/proc"),
    ],
)
def test_bad_input_is_one_sentence_and_stores_nothing(
    private: dict[str, str], args: list[str], words: str
) -> None:
    db = Path(private["ROTASCOPE_HOME"]) / "rotascope.duckdb"
    before = analyses(db)
    stderr = one_sentence(run(args, private))
    assert words in stderr
    assert all(len(line) < 400 for line in stderr.splitlines())  # echoed input is cut short
    assert analyses(db) == before


@pytest.mark.parametrize(
    ("config", "env", "words"),
    [
        (None, {"ROTASCOPE_HTTP_TIMEOUT": "nan"}, "http_timeout"),
        (None, {"ROTASCOPE_SPIKE_UP": "inf"}, "spike_up"),
        ("stale_days = [1, 2]\n", {}, "stale_days"),
        ("stale_days = true\n", {}, "stale_days"),
        ("stale_days = 1.5\n", {}, "stale_days"),
        ("folder", {}, "is a folder"),
        (f'webhook_url = "ftp://user:{SECRET}@example.com/x?token={SECRET}"\n', {}, "webhook_url"),
    ],
)
def test_bad_settings_are_one_sentence(
    private: dict[str, str], config: str | None, env: dict[str, str], words: str
) -> None:
    home = Path(private["ROTASCOPE_HOME"])
    if config == "folder":
        (home / "config.toml").mkdir()
    elif config is not None:
        (home / "config.toml").write_text(config)
    result = run(["data", "status"], {**private, **env})
    stderr = one_sentence(result)
    assert words in stderr and SECRET not in stderr + result.stdout


def test_home_option_wins_over_the_environment(private: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.toml").write_text("stale_days = -3\n")  # broken: must not be read
    result = run(
        ["--home", private["ROTASCOPE_HOME"], "data", "status", "-f", "json"],
        {**private, "ROTASCOPE_HOME": str(other)},
    )
    assert result.returncode == 0, result.stderr


def test_narrate_never_prints_the_endpoint_password(warm_cache: Settings, tmp_path: Path) -> None:
    home = private_home(warm_cache, tmp_path / "home", cache=True)  # the analysis it narrates starts warm
    private = {**os.environ, "ROTASCOPE_HOME": str(home)}
    env = {
        **private,
        "ROTASCOPE_LLM_BASE_URL": f"http://user:{SECRET}@127.0.0.1:9/v1?key={SECRET}",
        "ROTASCOPE_LLM_MODEL": "m",
        "ROTASCOPE_HTTP_TIMEOUT": "2",
    }
    analyzed = run(["analyze", "-f", "json"], private)
    assert analyzed.returncode == 0, analyzed.stderr
    ident = json.loads(analyzed.stdout)["id"]
    result = run(["narrate", ident], env)
    stderr = one_sentence(result)
    assert "LLM endpoint" in stderr and SECRET not in stderr + result.stdout


# ---------------------------------------------------------------------------------------- helpers
def test_redaction_helpers() -> None:
    assert (
        redact_url(f"https://bob:{SECRET}@h.example:8/v1?api_key={SECRET}#x") == "https://h.example:8/v1?***"
    )
    text = f"error: bad request https://api.example/x?series_id=A&api_key={SECRET}&x=1 (key {SECRET})"
    cleaned = scrub(text, [SECRET])
    assert SECRET not in cleaned and "series_id=A" in cleaned
    assert clean_text("ok\x1b[31mred\x1b]0;title\x07\x00\tend\r\n", 100) == "okred\tend\n"
    assert len(clean_text("é" * 100_000, 64 * 1024).encode()) <= 64 * 1024


def test_panel_cache_keeps_the_newest_fingerprints(tmp_path: Path) -> None:
    cache = PanelCache(tmp_path, keep=2)
    panel = Panel(np.array(["2024-01-02"], dtype="datetime64[D]"), ("A",), np.ones((1, 1)))
    for n in range(4):
        cache.put(f"fp{n}", panel)
        time.sleep(0.02)
        os.utime(next(iter(sorted(tmp_path.glob("*.npz"), key=os.path.getmtime, reverse=True))))
    assert cache.get("fp3", ("A",)) is not None and cache.get("fp2", ("A",)) is not None
    assert cache.get("fp0", ("A",)) is None and len(list(tmp_path.glob("*.npz"))) == 2
