"""SEC EDGAR fetcher: ticker → CIK, company facts → point-in-time metrics, policy checks, faults."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import pytest
from provider_replay import FakeSleep, ReplayServer, Reply, recording

from rotascope.errors import ConfigError
from rotascope.providers.errors import (
    BadResponse,
    EmptyData,
    NotFound,
    ProviderConfigError,
    SourceUnavailable,
)
from rotascope.providers.http import HttpClient
from rotascope.providers.sec import FUNDAMENTAL_COLUMNS, SecFetcher, parse_company_facts

MakeClient = Callable[..., HttpClient]
UA = "rotascope-tests research@example.com"
TICKERS = "/files/company_tickers.json"
APPLE = "/api/xbrl/companyfacts/CIK0000320193.json"


def fetcher(server: ReplayServer, make_client: MakeClient, **client: object) -> SecFetcher:
    options: dict[str, object] = {"user_agent": UA, "max_per_second": 10}
    options.update(client)
    return SecFetcher(
        client=make_client("SEC EDGAR", **options),
        tickers_url=f"{server.url}{TICKERS}",
        data_base_url=server.url,
    )


def test_company_facts_point_in_time(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(TICKERS, "sec/company_tickers.json", content_type="application/json")
    server.serve(APPLE, "sec/CIK0000320193.json", content_type="application/json")
    result = fetcher(server, make_client).fetch(symbol="aapl")
    assert (result.symbol, result.cik, result.entity_name) == ("AAPL", 320193, "Apple Inc.")
    facts = result.facts
    assert tuple(facts.columns) == FUNDAMENTAL_COLUMNS
    assert result.missing_metrics == ("net_income", "eps_diluted")  # trimmed recording: not recorded
    assert all(h["user-agent"] == UA for h in (r.headers for r in server.requests))

    revenue = facts[facts.metric == "revenue"]
    # FY2023 appears in the FY2023 and FY2024 10-Ks with the same value: kept once, as first filed
    assert revenue.filed.dt.strftime("%Y-%m-%d").tolist() == [
        "2017-11-03",
        "2023-11-03",
        "2024-11-01",
        "2025-01-31",
    ]
    assert revenue.concept.tolist() == [
        "SalesRevenueNet",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
    ]
    q1 = revenue.iloc[-1]
    assert (q1.fiscal_year, q1.fiscal_period, q1.form, q1.value, q1.unit) == (
        2025,
        "Q1",
        "10-Q",
        124.3e9,
        "USD",
    )
    assert (q1.period_start, q1.period_end) == (pd.Timestamp("2024-09-29"), pd.Timestamp("2024-12-28"))

    debt = facts[facts.metric == "total_debt"].set_index("period_end")
    assert debt.loc["2024-09-28", "value"] == 85_750_000_000 + 10_912_000_000
    assert debt.loc["2024-09-28", "concept"] == "LongTermDebtNoncurrent+LongTermDebtCurrent"
    assert pd.isna(debt.loc["2024-09-28", "period_start"])  # a balance-sheet instant

    shares = facts[facts.metric == "shares_outstanding"]
    assert shares.unit.unique().tolist() == ["shares"]
    assert shares.value.tolist() == [15_552_752_000, 15_115_823_000]
    assert set(facts.metric) == {
        "revenue",
        "operating_income",
        "interest_expense",
        "operating_cash_flow",
        "shares_outstanding",
        "total_debt",
    }
    assert str(facts.filed.dtype) == "datetime64[us]" and str(facts.fiscal_year.dtype) == "Int64"


def test_ticker_map_is_downloaded_once_and_cik_skips_it(
    server: ReplayServer, make_client: MakeClient
) -> None:
    server.serve(TICKERS, "sec/company_tickers.json")
    server.serve(APPLE, "sec/CIK0000320193.json")
    sec = fetcher(server, make_client)
    sec.fetch(symbol="AAPL")
    sec.fetch(symbol="AAPL")
    assert sec.fetch(cik=320193).symbol == "CIK0000320193"
    assert [r.path for r in server.requests].count(TICKERS) == 1


def test_restatement_is_kept_as_a_new_known_value() -> None:
    body = json.loads(recording("sec/CIK0000320193.json"))
    facts = body["facts"]["us-gaap"]["OperatingIncomeLoss"]["units"]["USD"]
    restated = dict(facts[1], val=114_000_000_000)  # FY2023 again in the FY2024 10-K, now changed
    body["facts"]["us-gaap"]["OperatingIncomeLoss"]["units"]["USD"][1] = restated
    result = parse_company_facts(json.dumps(body).encode(), "AAPL", 320193)
    op = result.facts[(result.facts.metric == "operating_income") & (result.facts.period_end == "2023-09-30")]
    assert list(zip(op.filed.dt.strftime("%Y-%m-%d"), op.value, strict=True)) == [
        ("2023-11-03", 114_301_000_000),
        ("2024-11-01", 114_000_000_000),
    ]


def test_long_term_debt_wins_over_the_sum() -> None:
    body = json.loads(recording("sec/CIK0000320193.json"))
    body["facts"]["us-gaap"]["LongTermDebt"] = {
        "label": "Long-Term Debt",
        "units": {
            "USD": [
                {
                    "end": "2024-09-28",
                    "val": 96_662_000_000,
                    "accn": "0000320193-24-000123",
                    "fy": 2024,
                    "fp": "FY",
                    "form": "10-K",
                    "filed": "2024-11-01",
                }
            ]
        },
    }
    result = parse_company_facts(json.dumps(body).encode(), "AAPL", 320193)
    debt = result.facts[result.facts.metric == "total_debt"].set_index("period_end")
    assert debt.loc["2024-09-28", "concept"] == "LongTermDebt"
    assert debt.loc["2023-09-30", "concept"] == "LongTermDebtNoncurrent+LongTermDebtCurrent"


def test_missing_user_agent_contact_is_a_config_error() -> None:
    sec = SecFetcher(tickers_url="http://127.0.0.1:9/x", data_base_url="http://127.0.0.1:9")
    with pytest.raises(ProviderConfigError) as err:
        sec.fetch(symbol="AAPL")
    assert str(err.value) == (
        "SEC EDGAR requires a User-Agent with contact details (e.g. 'rotascope you@example.com') "
        "before fetching AAPL; the current one is 'rotascope'."
    )
    assert isinstance(err.value, ConfigError)


def test_client_faster_than_ten_per_second_is_refused(server: ReplayServer, make_client: MakeClient) -> None:
    with pytest.raises(
        ProviderConfigError, match="at most 10 requests per second; the client for AAPL is set to 50"
    ):
        fetcher(server, make_client, max_per_second=50).fetch(symbol="AAPL")


def test_default_client_respects_ten_per_second() -> None:
    sec = SecFetcher(user_agent=UA)
    assert sec.client.max_per_second == 10
    assert sec.client.user_agent == UA
    sec.client.close()


def test_requests_are_spaced(server: ReplayServer, make_client: MakeClient, fake_sleep: FakeSleep) -> None:
    server.serve(TICKERS, "sec/company_tickers.json")
    server.serve(APPLE, "sec/CIK0000320193.json")
    now = [0.0]
    fetcher(server, make_client, clock=lambda: now[0]).fetch(symbol="AAPL")
    assert fake_sleep.calls == [pytest.approx(0.1)]  # the clock stood still: second request waited a slot


def test_unknown_ticker(server: ReplayServer, make_client: MakeClient) -> None:
    server.serve(TICKERS, "sec/company_tickers.json")
    with pytest.raises(NotFound) as err:
        fetcher(server, make_client).fetch(symbol="ZZZZ")
    assert str(err.value) == "SEC EDGAR lists no company with ticker ZZZZ in company_tickers.json."


def test_unknown_cik(server: ReplayServer, make_client: MakeClient) -> None:
    server.script("/api/xbrl/companyfacts/CIK0009999999.json", Reply(404, recording("sec/no_such_key.xml")))
    with pytest.raises(NotFound) as err:
        fetcher(server, make_client).fetch(cik=9999999, symbol="GONE")
    assert str(err.value) == "SEC EDGAR has no company facts for GONE (CIK0009999999) (HTTP 404)."


def test_truncated_company_facts(server: ReplayServer, make_client: MakeClient) -> None:
    body = recording("sec/CIK0000320193.json")
    server.script(APPLE, Reply(200, body[:3000]))
    with pytest.raises(
        BadResponse, match=r"^SEC EDGAR sent malformed company facts JSON for AAPL \(CIK0000320193\)"
    ):
        fetcher(server, make_client).fetch(cik=320193, symbol="AAPL")


def test_malformed_fact_names_the_concept(server: ReplayServer, make_client: MakeClient) -> None:
    body = json.loads(recording("sec/CIK0000320193.json"))
    body["facts"]["us-gaap"]["OperatingIncomeLoss"]["units"]["USD"][0]["val"] = "n/a"
    server.script(APPLE, Reply(200, json.dumps(body).encode()))
    with pytest.raises(
        BadResponse, match=r"us-gaap:OperatingIncomeLoss units\.USD\.0\.val: Input should be a valid number"
    ):
        fetcher(server, make_client).fetch(cik=320193, symbol="AAPL")


def test_malformed_ticker_map(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(TICKERS, Reply(200, b'{"0":{"cik_str":"x","ticker":"AAPL"}}'))
    with pytest.raises(BadResponse, match=r"^SEC EDGAR sent a malformed company_tickers.json"):
        fetcher(server, make_client).fetch(symbol="AAPL")


def test_no_mapped_metric_is_empty() -> None:
    body = b'{"cik":1,"entityName":"Shell Co","facts":{"dei":{},"us-gaap":{}}}'
    with pytest.raises(EmptyData, match=r"^SEC EDGAR company facts for SHEL \(CIK0000000001\) hold none"):
        parse_company_facts(body, "SHEL", 1)


def test_503_forever(server: ReplayServer, make_client: MakeClient) -> None:
    server.script(APPLE, Reply(503), Reply(503), Reply(503))
    with pytest.raises(SourceUnavailable, match=r"after 3 attempts: HTTP 503\.$"):
        fetcher(server, make_client).fetch(cik=320193, symbol="AAPL")
