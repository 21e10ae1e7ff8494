"""Yahoo chart fetcher against recorded chart replies: adjustment, partial sessions, unknown symbols."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from provider_replay import ReplayServer, Reply, recording

from rotascope.providers.base import BAR_COLUMNS, TRADED_CLOSE
from rotascope.providers.errors import BadResponse, EmptyData, InvalidQuery, NotFound, SourceUnavailable
from rotascope.providers.http import HttpClient
from rotascope.providers.yahoo import YahooFetcher

MakeClient = Callable[..., HttpClient]
AFTER_CLOSE = datetime(2025, 11, 22, 15, 0, tzinfo=UTC)  # Saturday: Friday's session has closed
MID_SESSION = datetime(2025, 11, 24, 17, 0, tzinfo=UTC)  # Monday 12:00 New York time


def fetcher(server: ReplayServer, make_client: MakeClient, now: datetime = AFTER_CLOSE) -> YahooFetcher:
    return YahooFetcher(client=make_client("Yahoo Finance"), base_url=server.url, now=lambda: now)


def test_daily_bars_are_adjusted(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/v8/finance/chart/IWM", "yahoo/IWM_chart.json", content_type="application/json")
    result = fetcher(server, make_client).fetch(symbol="iwm", start="2025-11-17", end="2025-11-21")
    bars = result.bars
    assert tuple(bars.columns) == (*BAR_COLUMNS, TRADED_CLOSE)
    assert str(bars.date.dtype) == "datetime64[us]" and str(bars.volume.dtype) == "Int64"
    assert list(bars.date.dt.date) == [date(2025, 11, d) for d in (17, 18, 19, 20, 21)]
    raw = json.loads(recording("yahoo/IWM_chart.json"))["chart"]["result"][0]["indicators"]
    adj, quote = raw["adjclose"][0]["adjclose"], raw["quote"][0]
    np.testing.assert_allclose(bars.close, adj)  # close = adjusted close
    np.testing.assert_allclose(bars.close_traded, quote["close"])  # the traded (unadjusted) close
    factor = np.array(adj) / np.array(quote["close"])
    np.testing.assert_allclose(bars.open, np.array(quote["open"]) * factor)
    np.testing.assert_allclose(bars.high, np.array(quote["high"]) * factor)
    assert bars.volume.tolist() == quote["volume"]
    assert bars.close.iloc[-1] == pytest.approx(233.8395)  # the embedded dataset's adjusted IWM close
    assert (result.currency, result.instrument_type, result.adjusted) == ("USD", "ETF", True)
    assert result.exchange_timezone == "America/New_York"
    assert result.dropped_partial == () and result.dropped_missing == ()
    query = server.requests[0].query
    assert query["interval"] == ["1d"] and query["events"] == ["div,splits"]
    assert query["includeAdjustedClose"] == ["true"]
    assert int(query["period1"][0]) == int(datetime(2025, 11, 17, tzinfo=UTC).timestamp())
    assert int(query["period2"][0]) == int(datetime(2025, 11, 22, tzinfo=UTC).timestamp())


def test_partial_trading_day_is_not_a_close(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/v8/finance/chart/IWM", "yahoo/IWM_partial.json")
    result = fetcher(server, make_client, MID_SESSION).fetch(symbol="IWM", start="2025-11-17")
    assert result.bars.date.max() == pd.Timestamp("2025-11-21")  # Monday's unfinished bar is held back
    (partial,) = result.dropped_partial
    assert partial.date == date(2025, 11, 24)
    assert partial.session_end == datetime(2025, 11, 24, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert partial.fetched_at == MID_SESSION and partial.last is not None


def test_same_reply_after_the_close_keeps_the_bar(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/v8/finance/chart/IWM", "yahoo/IWM_partial.json")
    after = datetime(2025, 11, 24, 21, 5, tzinfo=UTC)
    result = fetcher(server, make_client, after).fetch(symbol="IWM", start="2025-11-17")
    assert result.bars.date.max() == pd.Timestamp("2025-11-24")
    assert result.dropped_partial == ()


def test_without_session_times_todays_bar_is_held_back(server: ReplayServer, make_client: MakeClient) -> None:
    body = json.loads(recording("yahoo/IWM_partial.json"))
    del body["chart"]["result"][0]["meta"]["currentTradingPeriod"]
    server.script("/v8/finance/chart/IWM", Reply(200, json.dumps(body).encode()))
    late = datetime(2025, 11, 24, 23, 0, tzinfo=UTC)  # 18:00 New York, but nothing says the session closed
    result = fetcher(server, make_client, late).fetch(symbol="IWM", start="2025-11-17")
    assert [p.date for p in result.dropped_partial] == [date(2025, 11, 24)]


def test_dividends_and_end_filter(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/v8/finance/chart/SPY", "yahoo/SPY_dividend.json")
    later = datetime(2024, 12, 24, tzinfo=UTC)
    result = fetcher(server, make_client, later).fetch(symbol="SPY", start="2024-12-18", end="2024-12-20")
    assert [(d.date, d.amount) for d in result.dividends] == [(date(2024, 12, 20), 1.966)]
    assert result.bars.date.max() == pd.Timestamp("2024-12-20")


def test_missing_closes_are_dropped_and_listed(server: ReplayServer, make_client: MakeClient) -> None:
    body = json.loads(recording("yahoo/IWM_chart.json"))
    quote = body["chart"]["result"][0]["indicators"]
    for key in ("open", "high", "low", "close", "volume"):
        quote["quote"][0][key][2] = None
    quote["adjclose"][0]["adjclose"][2] = None
    server.script("/v8/finance/chart/IWM", Reply(200, json.dumps(body).encode()))
    result = fetcher(server, make_client).fetch(symbol="IWM", start="2025-11-17")
    assert result.dropped_missing == (date(2025, 11, 19),)
    assert len(result.bars) == 4


def test_unknown_symbol_is_not_found(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/v8/finance/chart/XYZQ", Reply(404, recording("yahoo/not_found.json")))
    with pytest.raises(NotFound) as err:
        fetcher(server, make_client).fetch(symbol="XYZQ", start="2025-11-17")
    assert str(err.value) == (
        "Yahoo Finance does not know symbol XYZQ: No data found, symbol may be delisted."
    )
    assert err.value.item == "XYZQ"


def test_truncated_json_is_bad_response(server: ReplayServer, make_client: MakeClient) -> None:
    body = recording("yahoo/IWM_chart.json")
    server.script("/v8/finance/chart/IWM", Reply(200, body[: len(body) // 2]))
    with pytest.raises(
        BadResponse, match=r"^Yahoo Finance sent a malformed chart for IWM \(Invalid JSON: EOF"
    ):
        fetcher(server, make_client).fetch(symbol="IWM", start="2025-11-17")


def test_mismatched_arrays_are_bad_response(server: ReplayServer, make_client: MakeClient) -> None:
    body = json.loads(recording("yahoo/IWM_chart.json"))
    body["chart"]["result"][0]["indicators"]["quote"][0]["close"].pop()
    server.script("/v8/finance/chart/IWM", Reply(200, json.dumps(body).encode()))
    with pytest.raises(BadResponse, match="with 4 close values for 5 dates"):
        fetcher(server, make_client).fetch(symbol="IWM", start="2025-11-17")


def test_no_bars_in_range_is_empty(server: ReplayServer, make_client: MakeClient) -> None:
    body = json.loads(recording("yahoo/IWM_chart.json"))
    result = body["chart"]["result"][0]
    del result["timestamp"]
    result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    server.script("/v8/finance/chart/IWM", Reply(200, json.dumps(body).encode()))
    with pytest.raises(
        EmptyData, match=r"^Yahoo Finance returned no daily bars for IWM in the requested range\.$"
    ):
        fetcher(server, make_client).fetch(symbol="IWM", start="2030-01-01")


def test_server_errors_exhaust_retries(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/v8/finance/chart/IWM", Reply(500), Reply(503), Reply(500))
    with pytest.raises(
        SourceUnavailable, match=r"^Yahoo Finance is unavailable for IWM after 3 attempts: HTTP 500\.$"
    ):
        fetcher(server, make_client).fetch(symbol="IWM", start="2025-11-17")


def test_500_then_success(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/v8/finance/chart/IWM", Reply(500), Reply(200, recording("yahoo/IWM_chart.json")))
    assert len(fetcher(server, make_client).fetch(symbol="IWM", start="2025-11-17").bars) == 5


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"symbol": "IW M", "start": "2025-01-01"}, "symbol: Value error, a symbol is 1-20 letters"),
        ({"symbol": "IWM", "start": "2025-13-01"}, "start: Input should be a valid date"),
        ({"symbol": "IWM", "start": "2025-02-01", "end": "2025-01-01"}, "start 2025-02-01 is after end"),
    ],
)
def test_bad_queries_never_reach_the_network(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        YahooFetcher(base_url="http://127.0.0.1:9").transform_query(params)


def test_symbol_is_quoted_in_the_path(server: ReplayServer, make_client: MakeClient) -> None:
    body = recording("yahoo/IWM_chart.json").replace(b'"symbol":"IWM"', b'"symbol":"^RUT"')
    server.script("/v8/finance/chart/%5ERUT", Reply(200, body))
    assert fetcher(server, make_client).fetch(symbol="^RUT", start="2025-11-17").symbol == "^RUT"
