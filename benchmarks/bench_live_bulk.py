"""Live-update benchmark: a one-week incremental update of the ETFs (Yahoo through yfinance) and the ~2,600
members (the recorded Polygon.io bulk source), against the local replay server; seconds and requests.

The replies are generated in each service's real format from the store's own last closes (illustrative
moves after them), so the numbers measure rotascope's side: yfinance's cookie/crumb flow, parsing, cleaning,
chaining and the per-item writes. The rate limit is lifted (``yahoo_max_per_second`` 1000); at the default
2 requests a second the ETF part alone adds about (ETFs / 2) seconds of waiting.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "live"))

from live_replay import LiveReplay, Reply, chart_json, grouped_daily, member_closes  # noqa: E402

from rotascope.config import load_settings  # noqa: E402
from rotascope.live.update import run_update, yahoo_symbol  # noqa: E402
from rotascope.providers.polygon import grouped_path  # noqa: E402
from rotascope.store.db import open_store  # noqa: E402


def _weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(i)).weekday() < 5
    ]


def run(home: str) -> list[tuple[str, list[float], str]]:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "home"
        work.mkdir()
        shutil.copy2(Path(home) / "rotascope.duckdb", work / "rotascope.duckdb")
        settings = load_settings({"home": str(work)}, env={})
        store = open_store(settings)
        try:
            etfs = store.conn.execute(
                "SELECT i.symbol, max(b.date), arg_max(b.close, b.date) FROM instruments i JOIN bars b "
                "USING (symbol) WHERE i.kind <> 'stock' GROUP BY i.symbol ORDER BY i.symbol"
            ).fetchall()
            members_end = store.conn.execute(
                "SELECT max(date) FROM bars JOIN instruments USING (symbol) WHERE kind = 'stock'"
            ).fetchall()[0][0]
        finally:
            store.close()
        week = _weekdays(members_end + timedelta(days=1), members_end + timedelta(days=7))
        now = datetime.combine(week[-1] + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
        replay = LiveReplay()
        replay.script("/", Reply(200, b"", {"Set-Cookie": "A3=d=AQABBbench; Max-Age=31557600; Path=/"}))
        replay.script("/v1/test/getcrumb", Reply(200, b"benchcrumb"))
        for symbol, last, close in etfs:
            days = _weekdays(last - timedelta(days=14), week[-1])
            closes = [round(float(close) * (1 + 0.001 * i), 4) for i in range(len(days))]
            path = f"/v8/finance/chart/{yahoo_symbol(symbol).replace('^', '%5E')}"
            replay.script(path, Reply(200, chart_json(symbol, days, closes)))
        anchor = member_closes(work / "rotascope.duckdb", members_end)
        replay.script(grouped_path(members_end), Reply(200, grouped_daily(members_end, anchor)))
        for i, day in enumerate(week):
            moved = {s: round(c * (1 + 0.002 * (i + 1)), 4) for s, c in anchor.items()}
            replay.script(grouped_path(day), Reply(200, grouped_daily(day, moved)))
        replay.start()
        try:
            bench = load_settings(
                {
                    "home": str(work),
                    "yahoo_base_url": replay.url,
                    "yahoo_max_per_second": 1000.0,
                    "polygon_api_key": "bench-key",
                    "polygon_base_url": replay.url,
                },
                env={},
            )
            start = time.perf_counter()
            report = run_update(bench, ["yahoo", "polygon"], now=lambda: now, sleep=lambda _: None)
            took = time.perf_counter() - start
        finally:
            replay.stop()
        yahoo = sum(1 for r in replay.requests if r.path.startswith("/v8/"))
        bulk = sum(1 for r in replay.requests if r.path.startswith("/v2/"))
        auth = len(replay.requests) - yahoo - bulk
        failed = len(report.failed)
        note = (
            f"{len(etfs)} ETFs ({yahoo} chart requests via yfinance, {auth} cookie/crumb) + "
            f"{len(anchor):,} members for {week[0]}..{week[-1]} ({bulk} bulk requests); "
            f"{report.rows:,} rows, {failed} failed"
        )
        return [("update, one week: ETFs + members (recorded bulk source)", [took], note)]


if __name__ == "__main__":
    for row in run(sys.argv[1]):
        print(row)
