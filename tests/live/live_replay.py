"""Replay server and helpers for the live-data tests (fixtures in conftest.py).

Same pattern as tests/providers/provider_replay.py (a real ThreadingHTTPServer on 127.0.0.1), extended
with routes keyed by a query parameter (every FRED series shares one path) and POST handling (webhook
receiver, fake OpenAI-compatible endpoint).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb

from datapaths import SHARED
from rotascope.config import Settings

LIVE_RECORDINGS = Path(__file__).parent / "recordings"
PROVIDER_RECORDINGS = Path(__file__).parents[1] / "providers" / "recordings"
MID_SESSION = datetime(2026, 7, 13, 16, 0, tzinfo=UTC)
"""Monday 2026-07-13, 12:00 New York: that session is still open (the recordings include it)."""


FRENCH = "/pages/faculty/ken.french/ftp/6_Portfolios_2x3_CSV.zip"
"""The French library's path of the 6 portfolios zip (served by the replay server)."""


def french_zip(csv: bytes | None = None) -> bytes:
    """The library's zip in its real format (one CSV, deflated), holding the shared 202412 release of
    factors/6_Portfolios_2x3.csv unless ``csv`` is given."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "6_Portfolios_2x3.csv", csv or (SHARED / "factors/6_Portfolios_2x3.csv").read_bytes()
        )
    return buf.getvalue()


def recording(name: str) -> bytes:
    """A recording of ours (tests/live/recordings) or, failing that, of the provider tests."""
    ours = LIVE_RECORDINGS / name
    return ours.read_bytes() if ours.exists() else (PROVIDER_RECORDINGS / name).read_bytes()


@dataclass
class Reply:
    """One scripted reply (status, body, headers, delay in seconds, truncation to n bytes)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class LiveReplay:
    """Scripted replies by route ('/path' or '/path?key=value'); records every request; POST capture."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[Seen] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01})
        self._thread.daemon = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, route: str, *replies: Reply) -> None:
        """Serve ``replies`` in order for ``route`` (the last one repeats)."""
        self.routes[route] = list(replies)
        self.hits[route] = 0

    def serve(self, route: str, name: str, content_type: str = "") -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        self.script(route, Reply(200, recording(name), headers))

    def paths(self, method: str = "GET") -> list[str]:
        return [
            r.path + (f"?id={r.query['id'][0]}" if "id" in r.query else "")
            for r in self.requests
            if r.method == method
        ]

    def _next(self, path: str, query: dict[str, list[str]]) -> Reply | None:
        with self._lock:
            keys = [f"{path}?{k}={v[0]}" for k, v in query.items()] + [path]
            route = next((k for k in keys if k in self.routes), None)
            if route is None:
                self.unexpected.append(path)
                return None
            n = self.hits[route]
            self.hits[route] = n + 1
            return self.routes[route][min(n, len(self.routes[route]) - 1)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                length = int(headers.get("content-length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query)
                with server._lock:
                    server.requests.append(Seen(method, parts.path, query, headers, body))
                reply = server._next(parts.path, query) or Reply(404, b"no recording for this path")
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate_to is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    out = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
                    self.wfile.write(out)
                    self.wfile.flush()
                    if reply.truncate_to is not None:
                        self.close_connection = True
                except OSError:
                    self.close_connection = True

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def unused(self) -> list[str]:
        return [p for p, replies in self.routes.items() if self.hits[p] < len(replies)]


# --------------------------------------------------------------------------------------------- helpers
def fredgraph_csv(fred_id: str, rows: list[tuple[str, str]]) -> bytes:
    """A fredgraph CSV in the current format (``observation_date`` header, '.' = missing)."""
    return ("\n".join([f"observation_date,{fred_id}", *(f"{d},{v}" for d, v in rows)]) + "\n").encode()


def script_all_fred(replay: LiveReplay, *, skip: tuple[str, ...] = ()) -> None:
    """One small CSV per mapped FRED series: a stored-period row plus two July 2026 observations.

    NFCI is left out: the store holds it up to 2026-07-24, after the tests' "now", so it is not asked for.
    """
    skip = (*skip, "NFCI")
    from rotascope.providers.fred import FRED_SERIES

    for fred_id in FRED_SERIES:
        if fred_id in skip:
            continue
        if fred_id == "DGS10":
            replay.serve("/graph/fredgraph.csv?id=DGS10", "fred/DGS10_live.csv")
            continue
        rows = [("2026-06-01", "1.00"), ("2026-07-06", "1.10"), ("2026-07-08", "1.20")]
        replay.script(f"/graph/fredgraph.csv?id={fred_id}", Reply(200, fredgraph_csv(fred_id, rows)))


def table_digest(db: Path, table: str, where: str = "TRUE") -> tuple[int, str]:
    """Row count and an order-independent checksum of a table (to prove a fault lost nothing)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()[0][0]
        if not exists:
            return 0, ""
        n, h = conn.execute(
            f"SELECT count(*), coalesce(sum(CAST(hash(t) AS HUGEINT)), 0) FROM {table} t WHERE {where}"
        ).fetchall()[0]
    return int(n), hashlib.sha256(str(h).encode()).hexdigest()[:16]


def last_date(db: Path, symbol: str) -> date | None:
    with duckdb.connect(str(db), read_only=True) as conn:
        value = conn.execute("SELECT max(date) FROM bars WHERE symbol = ?", [symbol]).fetchall()[0][0]
    return value if isinstance(value, date) else None


MakeSettings = Callable[..., Settings]


def grouped_daily(day: date, closes: dict[str, float]) -> bytes:
    """A Polygon.io grouped-daily reply (its documented JSON) holding one bar per ``symbol: close``."""
    stamp = int(datetime(day.year, day.month, day.day, 20, tzinfo=UTC).timestamp() * 1000)
    results = [
        {
            "T": s,
            "o": c,
            "h": round(c * 1.01, 4),
            "l": round(c * 0.99, 4),
            "c": c,
            "v": 100000,
            "vw": c,
            "n": 1000,
            "t": stamp,
        }
        for s, c in closes.items()
    ]
    body = {
        "adjusted": True,
        "queryCount": len(results),
        "request_id": f"rotascope-{day}",
        "results": results,
        "resultsCount": len(results),
        "status": "OK",
    }
    return json.dumps(body).encode()


def member_closes(db: Path, day: date) -> dict[str, float]:
    """Stored closes of every index member (kind 'stock') on ``day``."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT symbol, close FROM bars JOIN instruments USING (symbol) "
            "WHERE kind = 'stock' AND date = ?",
            [day],
        ).fetchall()
    return {str(s): float(c) for s, c in rows}


def chart_json(symbol: str, days: list[date], closes: list[float]) -> bytes:
    """A Yahoo ``/v8/finance/chart`` reply (the shape of the recordings) with one finished session per day."""
    stamps = [int(datetime(d.year, d.month, d.day, 13, 30, tzinfo=UTC).timestamp()) for d in days]
    last = stamps[-1]
    quote = {
        "open": closes,
        "high": [round(c * 1.005, 4) for c in closes],
        "low": [round(c * 0.995, 4) for c in closes],
        "close": closes,
        "volume": [1_000_000] * len(closes),
    }
    meta = {
        "currency": "USD",
        "symbol": symbol,
        "instrumentType": "ETF",
        "gmtoffset": -14400,
        "exchangeTimezoneName": "America/New_York",
        "currentTradingPeriod": {"regular": {"start": last, "end": last + 23400}},
    }
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
    }
    return json.dumps({"chart": {"result": [result], "error": None}}).encode()
