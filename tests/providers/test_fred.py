"""FRED fetcher: fredgraph CSV (both header styles), official API JSON, known_at rules, faults."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from provider_replay import ReplayServer, Reply, recording

from rotascope.providers.base import SERIES_COLUMNS
from rotascope.providers.errors import (
    AccessDenied,
    BadResponse,
    EmptyData,
    InvalidQuery,
    NotFound,
    SourceUnavailable,
)
from rotascope.providers.fred import FRED_SERIES, FredFetcher, known_at
from rotascope.providers.http import HttpClient

MakeClient = Callable[..., HttpClient]
GRAPH = "/graph/fredgraph.csv"
API = "/fred/series/observations"


def fetcher(server: ReplayServer, make_client: MakeClient, api_key: str | None = None) -> FredFetcher:
    return FredFetcher(
        client=make_client("FRED"), api_key=api_key, graph_base_url=server.url, api_base_url=server.url
    )


def test_fredgraph_csv(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(GRAPH, "fred/DGS10.csv", content_type="text/csv")
    result = fetcher(server, make_client).fetch(series="DGS10", start="2025-11-17", end="2025-11-28")
    frame = result.frame
    assert tuple(frame.columns) == SERIES_COLUMNS
    assert (result.series_id, result.fred_id, result.endpoint, result.missing) == (
        "ust_10y",
        "DGS10",
        "fredgraph",
        1,
    )
    assert len(frame) == 9  # Thanksgiving's "." is left out, never read as 0
    assert str(frame.date.dtype) == "datetime64[us]" and str(frame.known_at.dtype) == "datetime64[us]"
    first = frame.iloc[0]
    assert (first.series_id, first.date, first.value) == ("ust_10y", pd.Timestamp("2025-11-17"), 4.13)
    assert first.known_at == pd.Timestamp("2025-11-18")  # next business day
    friday = frame[frame.date == "2025-11-21"].iloc[0]
    assert friday.known_at == pd.Timestamp("2025-11-24")  # Friday's value is known on Monday
    assert server.requests[0].query == {"id": ["DGS10"], "cosd": ["2025-11-17"], "coed": ["2025-11-28"]}


def test_rotascope_id_and_old_date_header(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(GRAPH, "fred/NFCI_old_header.csv")
    result = fetcher(server, make_client).fetch(series="nfci")
    assert result.fred_id == "NFCI" and len(result.frame) == 4
    last = result.frame.iloc[-1]
    assert (last.date, last.value, last.known_at) == (
        pd.Timestamp("2026-07-24"),
        -0.554,
        pd.Timestamp("2026-07-29"),
    )


def test_official_api_with_key(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(API, "fred/UNRATE_api.json", content_type="application/json")
    result = fetcher(server, make_client, api_key="abcdef0123456789").fetch(
        series="UNRATE", start="2025-05-01"
    )
    assert result.endpoint == "api" and result.missing == 1
    assert result.frame.value.tolist() == [4.3, 4.1, 4.3, 4.3, 4.4]
    assert result.frame.known_at.iloc[0] == pd.Timestamp("2025-06-15")  # May's rate: out by June 15th
    query = server.requests[0].query
    assert query["series_id"] == ["UNRATE"] and query["file_type"] == ["json"]
    assert query["api_key"] == ["abcdef0123456789"]


def test_api_key_is_masked_in_the_raw_reply(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(API, "fred/UNRATE_api.json")
    fred = fetcher(server, make_client, api_key="abcdef0123456789")
    raw = fred.extract_data(fred.transform_query({"series": "unemployment"}))
    assert "api_key=***" in raw.response.url and "abcdef0123456789" not in raw.response.url


def test_api_unknown_series_is_not_found(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(API, Reply(400, recording("fred/api_series_missing.json")))
    with pytest.raises(NotFound) as err:
        fetcher(server, make_client, api_key="k" * 32).fetch(series="DGS2")
    assert str(err.value) == "FRED does not know series DGS2: Bad Request. The series does not exist."


def test_api_bad_key_is_access_denied_and_never_echoes_the_key(
    server: ReplayServer, make_client: MakeClient
) -> None:
    body = (
        b'{"error_code":400,"error_message":"Bad Request.  The value for variable api_key is not a 32 '
        b"character alpha-numeric lower-case string.  Read "
        b'https:\\/\\/fred.stlouisfed.org\\/docs\\/api\\/api_key.html"}'
    )
    server.script(API, Reply(400, body))
    with pytest.raises(AccessDenied, match=r"^FRED refused the API key while fetching DGS2") as err:
        fetcher(server, make_client, api_key="secret-key").fetch(series="DGS2")
    assert "secret-key" not in str(err.value)


def test_empty_series(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(GRAPH, "fred/empty_DGS2.csv")
    with pytest.raises(EmptyData) as err:
        fetcher(server, make_client).fetch(series="ust_2y", start="2025-11-27", end="2025-11-27")
    assert str(err.value) == (
        "FRED returned no observations for DGS2 (ust_2y) between 2025-11-27 and 2025-11-27 "
        "(1 listed without a value)."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"observation_date,DGS10\n2025-11-17,4.13\n2025-11-18,abc\n", "malformed value 'abc' for DGS10"),
        (b"observation_date,DGS10\n2025-11-17,4.13,9\n", "line 2 has 3 fields, expected 2"),
        (b"observation_date,DGS10\n17/11/2025,4.13\n", "malformed date '17/11/2025'"),
        (b"observation_date,DGS2\n2025-11-17,3.6\n", "unexpected header 'observation_date,DGS2'"),
        (b"<!DOCTYPE html><html><body>Error</body></html>", "an HTML page instead of CSV"),
        (b'observation_date,DGS10\n2025-11-17,"4.13\n', "malformed CSV"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ],
)
def test_malformed_csv_is_bad_response(
    server: ReplayServer, make_client: MakeClient, body: bytes, message: str
) -> None:
    server.script(GRAPH, Reply(200, body))
    with pytest.raises(BadResponse, match=message) as err:
        fetcher(server, make_client).fetch(series="DGS10")
    assert str(err.value).startswith("FRED sent")


def test_truncated_api_json_is_bad_response(server: ReplayServer, make_client: MakeClient) -> None:
    body = recording("fred/UNRATE_api.json")
    server.script(API, Reply(200, body[:-40]))
    with pytest.raises(BadResponse, match=r"^FRED sent a malformed JSON reply for UNRATE \(unemployment\)"):
        fetcher(server, make_client, api_key="k").fetch(series="UNRATE")


def test_500_forever(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(GRAPH, Reply(500), Reply(500), Reply(500))
    with pytest.raises(
        SourceUnavailable, match=r"^FRED is unavailable for DGS10 \(ust_10y\) after 3 attempts"
    ):
        fetcher(server, make_client).fetch(series="DGS10")


def test_429_then_success(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(GRAPH, Reply(429, b"", {"Retry-After": "1"}), Reply(200, recording("fred/DGS10.csv")))
    assert len(fetcher(server, make_client).fetch(series="DGS10").frame) == 9


def test_unmapped_series_is_invalid_query() -> None:
    with pytest.raises(InvalidQuery, match=r"^FRED series 'GDP' is not mapped to a rotascope series"):
        FredFetcher(graph_base_url="http://127.0.0.1:9").transform_query({"series": "GDP"})


def test_every_mapped_series() -> None:
    assert {s.fred_id: s.series_id for s in FRED_SERIES.values()} == {
        "DGS3MO": "ust_3m",
        "DGS2": "ust_2y",
        "DGS10": "ust_10y",
        "DFF": "fed_funds",
        "T10Y2Y": "curve_10y_2y",
        "T10Y3M": "curve_10y_3m",
        "BAMLH0A0HYM2": "hy_oas",
        "BAA10Y": "baa_spread",
        "NFCI": "nfci",
        "ICSA": "claims",
        "UNRATE": "unemployment",
    }


def test_known_at_matches_the_dataset_build_script() -> None:
    """The live provider and the embedded dataset apply the same publication lags."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "build_dataset.py"
    spec = importlib.util.spec_from_file_location("rotascope_build_dataset", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dates = pd.Series(pd.to_datetime(["2025-11-21", "2025-11-28", "2025-12-31", "2026-02-01"]))
    for rule in ("d0", "d1", "w5", "m"):
        pd.testing.assert_series_equal(known_at(dates, rule), module._known_at(dates, rule))
    for fred in FRED_SERIES.values():
        assert module.SERIES[fred.series_id][-1] == fred.rule, fred.series_id
