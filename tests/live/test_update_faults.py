"""Issue #22's fault list, each through a real `rotascope update` subprocess against the local replay server.

Yahoo is asked through yfinance (curl_cffi impersonation, cookie at ``/``, crumb at ``/v1/test/getcrumb``):
``yahoo_base_url`` points at the server, which routes every Yahoo host there. IWM answers well, SPY with
the fault. Every case must end with exit 1 and the summary, FRED must still be asked, the update log must
not stay ``running``, and nothing bad may reach the bars table.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from live_replay import LiveReplay, Reply, fredgraph_csv, recording, script_all_fred

Chart = dict[str, Any]
SINCE = "2026-07-02"
MIDDLE = 11  # 2026-07-08 in the recordings
COOKIE = {"Set-Cookie": "A3=d=AQABBtest&S=AQAAAtest; Max-Age=31557600; Path=/"}


def _chart(symbol: str) -> Chart:
    return json.loads(recording(f"yahoo/{symbol}_live.json"))


def _result(chart: Chart) -> Chart:
    result: Chart = chart["chart"]["result"][0]
    return result


def _set(field: str, index: int, value: float) -> Callable[[Chart], None]:
    def change(chart: Chart) -> None:
        result = _result(chart)
        if field == "timestamp":
            result["timestamp"][index] = value
            return
        if field == "adjclose":
            result["indicators"]["adjclose"][0]["adjclose"][index] = value
            return
        result["indicators"]["quote"][0][field][index] = value

    return change


def _both(index: int, value: float) -> Callable[[Chart], None]:
    def change(chart: Chart) -> None:
        _set("close", index, value)(chart)
        _set("adjclose", index, value)(chart)

    return change


def _times(index: int, factor: float) -> Callable[[Chart], None]:
    def change(chart: Chart) -> None:
        quote = _result(chart)["indicators"]["quote"][0]
        adj = _result(chart)["indicators"]["adjclose"][0]["adjclose"]
        for field in ("open", "high", "low", "close"):
            quote[field][index] *= factor
        adj[index] *= factor

    return change


def _no_zone_offset(chart: Chart) -> None:
    meta = _result(chart)["meta"]
    meta.pop("exchangeTimezoneName")
    meta["gmtoffset"] = 999999999


def _far_dividend(chart: Chart) -> None:
    _result(chart)["events"]["dividends"] = {"32503680000": {"amount": 1.83, "date": 32503680000}}


def _high_below_low(chart: Chart) -> None:
    quote = _result(chart)["indicators"]["quote"][0]
    quote["high"][MIDDLE], quote["low"][MIDDLE] = quote["low"][MIDDLE] - 5, quote["high"][MIDDLE] + 5


def _json(change: Callable[[Chart], None]) -> list[Reply]:
    chart = copy.deepcopy(_chart("SPY"))
    change(chart)
    return [Reply(200, json.dumps(chart).encode(), {"Content-Type": "application/json"})]


CASES: dict[str, tuple[list[Reply], str]] = {
    "429": ([Reply(429, recording("yahoo/too_many_requests.txt"))], "HTTP 429"),
    "truncated body": (
        [Reply(200, recording("yahoo/SPY_live.json"), truncate_to=300)],
        "closed before the full reply arrived",
    ),
    "volume 1e30": (_json(_set("volume", MIDDLE, 1e30)), "out-of-range volume"),
    "timestamp 1e17": (_json(_set("timestamp", MIDDLE, 10**17)), "timestamp out of range"),
    "gmtoffset 999999999": (_json(_no_zone_offset), "impossible time zone offset"),
    "far-future dividend date": (_json(_far_dividend), "dividend or split date out of range"),
    "price -5": (_json(_both(MIDDLE, -5.0)), "non-positive price"),
    "price 1e308": (_json(_both(MIDDLE, 1e308)), "non-finite or out-of-range price"),
    "10x jump, reversed": (_json(_times(MIDDLE, 10.0)), "one-day spike that reverses"),
    "10x jump, newest": (_json(_times(-1, 10.0)), "not confirmed until the next session"),
    "high below low": (_json(_high_below_low), "high below low"),
}


def _script(replay: LiveReplay, spy: list[Reply] | None, crumb: Reply | None = None) -> None:
    replay.script("/", Reply(200, b"", COOKIE))
    replay.script("/v1/test/getcrumb", crumb or Reply(200, b"Zx9testcrumb", {"Content-Type": "text/plain"}))
    replay.script("/v8/finance/chart/IWM", Reply(200, recording("yahoo/IWM_live.json")))
    if spy is not None:
        replay.script("/v8/finance/chart/SPY", *spy)
    script_all_fred(replay)
    rows = [("2026-07-24", "-0.48"), ("2026-07-31", "-0.47")]
    replay.script("/graph/fredgraph.csv?id=NFCI", Reply(200, fredgraph_csv("NFCI", rows)))


def _update(home: Path, replay: LiveReplay) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROTASCOPE_HOME": str(home),
        "ROTASCOPE_YAHOO_BASE_URL": replay.url,
        "ROTASCOPE_YAHOO_TRANSPORT": "yfinance",
        "ROTASCOPE_FRED_BASE_URL": replay.url,
        "ROTASCOPE_HTTP_RETRIES": "0",
        "ROTASCOPE_HTTP_TIMEOUT": "5",
        "ROTASCOPE_YAHOO_MAX_PER_SECOND": "1000",
    }
    args = ["update", "--source", "yahoo,fred", "--symbols", "IWM,SPY", "--since", SINCE]
    return subprocess.run(
        [sys.executable, "-m", "rotascope", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _check_common(result: subprocess.CompletedProcess[str], replay: LiveReplay, db: Path) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Yahoo Finance: 2 items" in result.stdout and "FRED:" in result.stdout  # the summary
    assert any(r.path == "/graph/fredgraph.csv" for r in replay.requests)  # the next source was asked
    assert set(replay.unexpected) <= {"/consent"}  # yfinance tries its consent-page strategy after a 4xx
    assert _rows(db, "SELECT count(*) FROM update_log WHERE status = 'running'") == [(0,)]
    bad = _rows(
        db,
        f"""SELECT date, open, high, low, close, volume FROM bars
            WHERE symbol = 'SPY' AND date >= '{SINCE}' AND NOT (
              isfinite(close) AND close > 0 AND close < 1e7
              AND (high IS NULL OR low IS NULL OR high >= low)
              AND (volume IS NULL OR volume BETWEEN 0 AND 1e13))""",
    )
    assert bad == []
    iwm = _rows(db, f"SELECT count(*) FROM bars WHERE symbol = 'IWM' AND date >= '{SINCE}'")
    assert iwm[0][0] == 7  # the good item was stored all the same (07-02..07-13, seven sessions)


@pytest.mark.parametrize("case", list(CASES))
def test_a_faulty_reply_fails_alone(case: str, replay: LiveReplay, store_copy: Path) -> None:
    replies, sentence = CASES[case]
    _script(replay, replies)
    db = store_copy / "rotascope.duckdb"
    result = _update(store_copy, replay)
    _check_common(result, replay, db)
    assert sentence in result.stdout, result.stdout
    chart = [r for r in replay.requests if r.path == "/v8/finance/chart/SPY"]
    assert chart and chart[0].query.get("crumb") == ["Zx9testcrumb"]  # yfinance's cookie+crumb flow ran
    if "FAILED Yahoo Finance SPY" not in result.stdout:  # cleaned, not failed: the values are listed
        flags = _rows(
            db, "SELECT reason FROM quality_flags WHERE symbol = 'SPY' AND source = 'Yahoo Finance'"
        )
        assert any(sentence in str(r[0]) for r in flags), flags
        assert "Cleaned on the way in (listed in table quality_flags): SPY" in result.stdout


def test_a_refused_crumb_fails_yahoo_and_fred_still_runs(replay: LiveReplay, store_copy: Path) -> None:
    refused = Reply(401, recording("yahoo/invalid_crumb.json"), {"Content-Type": "application/json"})
    _script(replay, None, crumb=Reply(429, recording("yahoo/too_many_requests.txt")))
    replay.script("/v8/finance/chart/IWM", refused)
    db = store_copy / "rotascope.duckdb"
    result = _update(store_copy, replay)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "Invalid Crumb" in result.stdout and "FAILED Yahoo Finance IWM" in result.stdout
    assert "FAILED Yahoo Finance SPY: not attempted" in result.stdout  # the rest of a refusing source
    assert any(r.path == "/graph/fredgraph.csv" for r in replay.requests)
    assert _rows(db, "SELECT count(*) FROM update_log WHERE status = 'running'") == [(0,)]
    assert _rows(db, f"SELECT count(*) FROM bars WHERE source = 'live' AND date >= '{SINCE}'") == [(0,)]
