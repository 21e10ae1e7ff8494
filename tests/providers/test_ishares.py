"""iShares holdings CSV: preamble, header, equities only, holdings date, malformed files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest
from provider_replay import ReplayServer, Reply, recording

from rotascope.providers.errors import BadResponse, EmptyData, InvalidQuery, NotFound
from rotascope.providers.http import HttpClient
from rotascope.providers.ishares import HOLDINGS_COLUMNS, ISHARES_PRODUCTS, ISharesFetcher, parse_holdings_csv

MakeClient = Callable[..., HttpClient]
IWM_PATH = ISHARES_PRODUCTS["IWM"]


def fetcher(server: ReplayServer, make_client: MakeClient) -> ISharesFetcher:
    return ISharesFetcher(client=make_client("iShares"), base_url=server.url)


def test_iwm_holdings(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(IWM_PATH, "ishares/IWM_holdings.csv", content_type="text/csv")
    result = fetcher(server, make_client).fetch(fund="iwm")
    assert result.fund == "IWM" and result.as_of == date(2025, 11, 21)
    frame = result.holdings
    assert tuple(frame.columns) == HOLDINGS_COLUMNS
    assert frame.symbol.tolist() == ["BE", "CRDO", "FN", "IONQ", "NXT", "KTOS"]
    first = frame.iloc[0]
    assert (first["name"], first.sector, first.weight) == ("BLOOM ENERGY CLASS A CORP", "Industrials", 0.83)
    assert (frame.as_of == pd.Timestamp("2025-11-21")).all() and str(frame.as_of.dtype) == "datetime64[us]"
    assert result.skipped == {"Money Market": 1, "Cash": 1, "Futures": 1}
    assert server.requests[0].query == {
        "fileType": ["csv"],
        "fileName": ["IWM_holdings"],
        "dataType": ["fund"],
    }


def test_explicit_path_for_other_funds(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve("/us/products/1/x.ajax", "ishares/IWM_holdings.csv")
    assert fetcher(server, make_client).fetch(fund="IWN", path="/us/products/1/x.ajax").fund == "IWN"


def test_unknown_fund_without_path() -> None:
    with pytest.raises(InvalidQuery, match=r"^No iShares holdings path is known for QQQ"):
        ISharesFetcher().transform_query({"fund": "QQQ"})


def text() -> str:
    return recording("ishares/IWM_holdings.csv").decode("utf-8-sig")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace('Fund Holdings as of,"Nov 21, 2025"', ""), "no 'Fund Holdings as of' line"),
        (lambda t: t.replace("Nov 21, 2025", "21/11/2025"), "holdings date '21/11/2025' is not like"),
        (
            lambda t: t.replace("Ticker,Name,Sector,", "Symbol,Name,Sector,"),
            "no 'Ticker,Name,...' header line",
        ),
        (lambda t: t.replace("Weight (%)", "Weight"), "header lacks Weight (%)"),
        (lambda t: t.replace('"0.54"', '"n/a"'), "weight 'n/a' on line 13 is not a number"),
        (lambda t: t.replace('"FABRINET",', ""), "line 13 has 14 fields, the header has 15"),
        (lambda t: t.replace('"FABRINET"', '"FABRINET'), "CSV error"),
        (lambda t: "<html><body>Maintenance</body></html>", "got an HTML page instead of CSV"),
    ],
)
def test_malformed_csv(mutate: Callable[[str], str], message: str) -> None:
    with pytest.raises(BadResponse, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        parse_holdings_csv(mutate(text()), "IWM")
    assert str(err.value).startswith("iShares sent a malformed holdings file for IWM: ")


def test_no_holdings_date_marker_is_empty() -> None:
    with pytest.raises(EmptyData, match=r"^iShares has no holdings file for IWM on the requested date\.$"):
        parse_holdings_csv(text().replace("Nov 21, 2025", "-"), "IWM")


def test_only_cash_is_empty() -> None:
    lines = [line for line in text().splitlines() if '"Equity"' not in line]
    with pytest.raises(
        EmptyData, match=r"^iShares holdings file for IWM as of 2025-11-21 lists no equities\.$"
    ):
        parse_holdings_csv("\n".join(lines), "IWM")


def test_not_found(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(IWM_PATH, Reply(404, b"<html>Not Found</html>"))
    with pytest.raises(NotFound, match=r"^iShares has no data for IWM \(HTTP 404\)\.$"):
        fetcher(server, make_client).fetch(fund="IWM")
