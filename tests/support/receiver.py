"""A real webhook receiver for the tests: a small threaded HTTP server that records every request
and answers as the test tells it (status, body, delay), per request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str  # with the query string, as requested
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def params(self) -> dict[str, str]:
        if self.method == "GET":
            return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answer: Callable[[Received], Answer] = lambda _: Answer()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                got = Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                answer = receiver.answer(got)
                if answer.delay:
                    time.sleep(answer.delay)
                with receiver._cond:
                    if 200 <= answer.status < 300:
                        receiver.requests.append(got)
                    receiver.attempts.append(got)
                    receiver._cond.notify_all()
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.body)

            do_POST = _handle
            do_GET = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.attempts: list[Received] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 15.0, *, event: str | None = None) -> list[Received]:
        """The first `count` accepted requests (of that EventType), waiting for them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if event is None or r.params.get("EventType") == event]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook(s) {event or ''}, got {len(got)}: {self.summary()}")
                self._cond.wait(left)

    def summary(self) -> list[str]:
        return [f"{r.method} {r.params.get('EventType')}" for r in self.attempts]


@contextmanager
def receiving() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
