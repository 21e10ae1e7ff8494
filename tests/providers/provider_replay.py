"""Replay HTTP server used by the provider tests (imported by conftest.py and the test modules).

A real ``ThreadingHTTPServer`` on 127.0.0.1 serves scripted replies per path (status, body, headers, delay,
truncation); the last scripted reply repeats. It records every request so tests can assert what was sent.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> bytes:
    """Bytes of a recorded reply under tests/providers/recordings/."""
    return (RECORDINGS / name).read_bytes()


@dataclass
class Reply:
    """One scripted reply."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to sleep before answering (longer than the client timeout = a timeout)."""
    truncate_to: int | None = None
    """Announce the full Content-Length but send only this many bytes, then close."""


@dataclass
class Seen:
    """A request the server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class ReplayServer:
    """Scripted replies by path; records every request."""

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

    def script(self, path: str, *replies: Reply) -> None:
        """Serve ``replies`` in order for ``path`` (the last one repeats)."""
        self.routes[path] = list(replies)
        self.hits[path] = 0

    def serve(self, path: str, name: str, status: int = 200, content_type: str = "") -> None:
        """Serve a recording (always the same reply)."""
        headers = {"Content-Type": content_type} if content_type else {}
        self.script(path, Reply(status, recording(name), headers))

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            replies = self.routes.get(path)
            if replies is None:
                self.unexpected.append(path)
                return None
            n = self.hits[path]
            self.hits[path] = n + 1
            return replies[min(n, len(replies) - 1)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append(Seen(parts.path, parse_qs(parts.query), headers))
                reply = server._next(parts.path)
                if reply is None:
                    reply = Reply(404, b"no recording for this path")
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
                    body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
                    self.wfile.write(body)
                    self.wfile.flush()
                    if reply.truncate_to is not None:
                        self.close_connection = True
                except OSError:  # the client gave up (timeout): nothing to answer
                    self.close_connection = True

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
        """Scripted paths whose replies were not all served."""
        return [p for p, replies in self.routes.items() if self.hits[p] < len(replies)]


class FakeSleep:
    """Records sleeps instead of sleeping (backoff and Retry-After are asserted, not waited for)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
