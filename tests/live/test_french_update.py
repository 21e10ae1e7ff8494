"""`update` refreshes the Fama-French 6 portfolios from the French library's zip (issue #24).

The replay server serves the zip in the library's real format, built from the shared 202412 release. The
store copy has its months after 2024-06 removed, so the download holds six new months per series: they are
stored with the day rotascope first saw them as known_at, the lens reads them from that day on (not
before), and a bad, truncated or garbage reply fails that item alone with one sentence and stores nothing.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from live_replay import (
    FRENCH,
    MID_SESSION,
    LiveReplay,
    MakeSettings,
    Reply,
    french_zip,
    script_all_fred,
    table_digest,
)

from datapaths import SHARED
from rotascope.config import Settings
from rotascope.fundamentals.ff6 import read_ff6
from rotascope.fundamentals.valuation import valuation_at
from rotascope.live.update import run_update
from rotascope.records import ValuationLens
from rotascope.store.db import open_store

CUT = date(2024, 6, 30)
SEEN = MID_SESSION.date()  # 2026-07-13, the update's "today"


def _cut(db: Path) -> None:
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM series WHERE series_id LIKE 'ff6%' AND date > ?", [CUT])


def _lens(settings: Settings, day: date) -> ValuationLens:
    store = open_store(settings)
    try:
        lens = valuation_at(store, day, None, "test")
    finally:
        store.close()
    assert lens is not None
    return lens


def test_new_months_are_stored_known_from_the_day_they_were_seen(
    replay: LiveReplay, make_settings: MakeSettings
) -> None:
    settings = make_settings()
    _cut(settings.db)
    before = _lens(settings, SEEN)
    assert before.data_date == CUT and any("The valuation data ends 2024-06" in n for n in before.notes)
    replay.script(FRENCH, Reply(200, french_zip()))

    report = run_update(settings, ["french"], now=lambda: MID_SESSION)

    (item,) = report.items
    assert (item.status, item.rows) == ("updated", 36), item.message  # 6 series x 2024-07..2024-12
    assert item.message == f"36 monthly values 2024-07..2024-12, known from {SEEN}"
    with duckdb.connect(str(settings.db), read_only=True) as conn:
        got = conn.execute(
            "SELECT series_id, date, value, known_at, source FROM series WHERE series_id LIKE 'ff6%' "
            "AND date > ? ORDER BY series_id, date",
            [CUT],
        ).fetchall()
    want = read_ff6(SHARED / "factors/6_Portfolios_2x3.csv")
    want = want[want["date"] > CUT]
    assert [(r[0], r[1]) for r in got] == list(zip(want["series_id"], want["date"], strict=True))
    assert [r[2] for r in got] == pytest.approx(want["value"].tolist(), abs=1e-12)
    assert {(r[3], r[4]) for r in got} == {(SEEN, "live")}  # first seen now, long after month end + lag

    # point in time: the day before it was fetched the lens still ends 2024-06; from that day, 2024-12
    assert _lens(settings, date(2026, 7, 12)).data_date == CUT
    after = _lens(settings, SEEN)
    assert after.data_date == date(2024, 12, 31)
    assert any("The valuation data ends 2024-12" in n for n in after.notes)

    again = run_update(settings, ["french"], now=lambda: MID_SESSION)
    assert [(r.status, r.rows) for r in again.items] == [("unchanged", 0)]
    assert "no month after 2024-12-31 (the file ends 2024-12)" in again.items[0].message


def _csv() -> bytes:
    return (SHARED / "factors/6_Portfolios_2x3.csv").read_bytes()


def _zip_of(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in names.items():
            archive.writestr(name, body)
    return buf.getvalue()


BAD = {
    "truncated zip": (lambda: french_zip()[: len(french_zip()) // 2], "not a complete zip file"),
    "garbage body": (
        lambda: b"<html><body>Service temporarily unavailable</body></html>",
        "not a complete zip",
    ),
    "no BE/ME block": (
        lambda: french_zip(_csv().replace(b"BE_FYt-1/ME_June t", b"BE_FYt-1/ME_Dec")),
        "has no block 'BE_FYt-1/ME_June t'",
    ),
    "months out of order": (
        lambda: french_zip(_csv().replace(b"\r\n192608,", b"\r\n192606,", 1)),
        "are not strictly increasing",
    ),
    "value out of range": (
        lambda: french_zip(_csv().replace(b"\r\n192607,   1.0874,", b"\r\n192607,999999.0,", 1)),
        "outside its range",
    ),
    "two files": (lambda: _zip_of({"a.csv": _csv(), "b.csv": _csv()}), "holding 2 CSV files"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_reply_fails_that_item_alone(
    case: str, replay: LiveReplay, make_settings: MakeSettings
) -> None:
    body, words = BAD[case]
    settings = make_settings()
    _cut(settings.db)
    before = table_digest(settings.db, "series", "series_id LIKE 'ff6%'")
    replay.script(FRENCH, Reply(200, body()))
    script_all_fred(replay)

    report = run_update(settings, ["fred", "french"], now=lambda: MID_SESSION)

    (failed,) = report.failed
    assert failed.source == "french" and failed.last == CUT
    assert words in failed.message and "\n" not in failed.message and failed.message.endswith(".")
    assert table_digest(settings.db, "series", "series_id LIKE 'ff6%'") == before  # nothing stored
    assert any(r.source == "fred" and r.status == "updated" for r in report.items)  # the others ran
    assert f"FAILED Kenneth French library 6_Portfolios_2x3: {failed.message}" in "\n".join(
        report.summary_lines()
    )
